/** Value of a sample in Prometheus text (/metrics), summed over the label sets that match. */
export function sample(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const [key, value] = [line.slice(0, line.lastIndexOf(' ')), line.slice(line.lastIndexOf(' ') + 1)];
    if (key !== name && !key.startsWith(`${name}{`)) continue;
    if (labels && !key.includes(labels)) continue;
    sum += Number(value);
  }
  return sum;
}
