/**
 * Values to look up from what an analyst pastes: one per line as given, or found in free text
 * (a report, an e-mail, a chat message), defanged forms included (hxxp://, example[.]com,
 * user[@]example.com). Finding is generous: the node says which values it does not recognise.
 */

/** The lookup's limit per request (POST /api/v1/lookup). */
export const LOOKUP_MAX_VALUES = 10_000;

export function valuesOfLines(text: string): string[] {
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const v = line.trim();
    if (v && !v.startsWith('#')) seen.add(v);
  }
  return [...seen];
}

function refang(text: string): string {
  return text
    .replace(/\bhxxp(s?)/gi, 'http$1')
    .replace(/\bfxp\b/gi, 'ftp')
    .replace(/\[\s*\.\s*\]|\(\s*\.\s*\)|\{\s*\.\s*\}|\[dot\]|\(dot\)/gi, '.')
    .replace(/\[\s*:\s*\]/g, ':')
    .replace(/\[\s*@\s*\]|\[at\]|\(at\)/gi, '@')
    .replace(/\[:\/\/\]/g, '://');
}

const URL_RE = /\b(?:https?|ftp):\/\/[^\s"'<>()[\]{}]+/gi;
const EMAIL_RE = /\b[a-z0-9._%+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,63}\b/gi;
const IPV4_RE = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\/(?:3[0-2]|[12]?\d))?(?!\d|\.\d)/g;
const IPV6_RE = /(?<![0-9a-z:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:\/\d{1,3})?(?![0-9a-z:])/gi;
const HASH_RE = /\b(?:[a-f0-9]{128}|[a-f0-9]{64}|[a-f0-9]{40}|[a-f0-9]{32})\b/gi;
const DOMAIN_RE = /\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]\b/gi;
/** Words with a dot that are seldom domains in prose. */
const NOT_DOMAINS = /\.(?:exe|dll|sys|bat|ps1|vbs|js|doc|docx|xls|xlsx|pdf|zip|rar|txt|log|json|csv|png|jpg|gif|html?)$/i;

function plausibleIPv6(v: string): boolean {
  const address = v.split('/')[0]!;
  const groups = address.split(':');
  if (!address.includes('::') && groups.length !== 8) return false;
  return groups.some((g) => g !== '') && (address.match(/::/g)?.length ?? 0) <= 1;
}

/** Values found in free text, in the order found, each once. */
export function valuesInText(text: string): string[] {
  const found: Array<[number, string]> = [];
  let rest = refang(text);
  const take = (re: RegExp, keep: (v: string) => boolean = () => true) => {
    rest = rest.replace(re, (v: string, ...args: unknown[]) => {
      const at = args.find((a): a is number => typeof a === 'number') ?? 0;
      if (!keep(v)) return v;
      found.push([at, v.replace(/[.,;:!?]+$/, '')]);
      return ' '.repeat(v.length);
    });
  };
  take(URL_RE);
  take(EMAIL_RE);
  take(IPV4_RE);
  take(IPV6_RE, plausibleIPv6);
  take(HASH_RE);
  take(DOMAIN_RE, (v) => !NOT_DOMAINS.test(v) && /[a-z]/i.test(v.slice(v.lastIndexOf('.') + 1)));
  found.sort((a, b) => a[0] - b[0]);
  return [...new Set(found.map(([, v]) => v))];
}
