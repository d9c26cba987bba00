/** Registry keys, MAC addresses, AS numbers and the free-text kinds. */
import { isHex, parseDecimal, stripTrailingNewlines, trimStructured } from './chars.js';

const HIVES: ReadonlyMap<string, string> = new Map([
  ['hkey_local_machine', 'hkey_local_machine'], ['hklm', 'hkey_local_machine'],
  ['hkey_current_user', 'hkey_current_user'], ['hkcu', 'hkey_current_user'],
  ['hkey_classes_root', 'hkey_classes_root'], ['hkcr', 'hkey_classes_root'],
  ['hkey_users', 'hkey_users'], ['hku', 'hkey_users'],
  ['hkey_current_config', 'hkey_current_config'], ['hkcc', 'hkey_current_config'],
]);

/** Kernel-style names, as written by EDR and Sysmon-like tools. */
const NATIVE_ROOTS: readonly (readonly [string, string])[] = [
  ['\\registry\\machine', 'hkey_local_machine'],
  ['\\registry\\user', 'hkey_users'],
];

export function normaliseRegistryKey(input: string): string | undefined {
  const lower = stripTrailingNewlines(input).toLowerCase();
  let root: string | undefined;
  let rest: string;
  if (lower.charCodeAt(0) === 0x5c) {
    const native = NATIVE_ROOTS.find(([prefix]) => lower.startsWith(prefix) && (lower.length === prefix.length || lower.charCodeAt(prefix.length) === 0x5c));
    if (native === undefined) return undefined;
    root = native[1];
    rest = lower.slice(native[0].length);
  } else {
    const slash = lower.indexOf('\\');
    root = HIVES.get(slash < 0 ? lower : lower.slice(0, slash));
    rest = slash < 0 ? '' : lower.slice(slash);
  }
  if (root === undefined) return undefined;
  // Key names cannot contain '\', so a trailing one is only a separator.
  let end = rest.length;
  while (end > 0 && rest.charCodeAt(end - 1) === 0x5c) end--;
  return root + rest.slice(0, end);
}

export function normaliseMac(input: string): string | undefined {
  const s = trimStructured(input).toLowerCase();
  let hex: string;
  if (s.length === 17) {
    const sep = s.charCodeAt(2);
    if (sep !== 0x3a && sep !== 0x2d) return undefined;
    for (let i = 5; i < 17; i += 3) if (s.charCodeAt(i) !== sep) return undefined;
    hex = s.slice(0, 2) + s.slice(3, 5) + s.slice(6, 8) + s.slice(9, 11) + s.slice(12, 14) + s.slice(15, 17);
  } else if (s.length === 14) {
    if (s.charCodeAt(4) !== 0x2e || s.charCodeAt(9) !== 0x2e) return undefined;
    hex = s.slice(0, 4) + s.slice(5, 9) + s.slice(10, 14);
  } else if (s.length === 12) {
    hex = s;
  } else {
    return undefined;
  }
  if (!isHex(hex)) return undefined;
  return `${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}:${hex.slice(6, 8)}:${hex.slice(8, 10)}:${hex.slice(10, 12)}`;
}

/** asplain ('64500'), 'AS64500', or asdot ('1.10' = 65546, RFC 5396) -> decimal digits. */
export function normaliseAsn(input: string): string | undefined {
  let s = trimStructured(input);
  if (s.length > 2 && (s.charCodeAt(0) | 0x20) === 0x61 && (s.charCodeAt(1) | 0x20) === 0x73) s = s.slice(2);
  const dot = s.indexOf('.');
  if (dot < 0) {
    const v = parseDecimal(s, 4294967295);
    return v === undefined ? undefined : String(v);
  }
  const high = parseDecimal(s.slice(0, dot), 65535);
  const low = parseDecimal(s.slice(dot + 1), 65535);
  return high === undefined || low === undefined ? undefined : String(high * 65536 + low);
}

export function normaliseText(input: string): string | undefined {
  const s = stripTrailingNewlines(input);
  return s.length === 0 ? undefined : s;
}
