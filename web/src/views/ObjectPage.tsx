export function ObjectPage() {
  return <h1>ObjectPage</h1>;
}
