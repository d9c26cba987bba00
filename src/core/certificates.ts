/**
 * Reading the certificates peers present. Apart from core/pki.ts, whose certificate authority
 * (@peculiar/x509) only `shieldwall pki` loads.
 */

/** The common name of a certificate subject (as Node's TLS socket reports it). */
export function commonNameOf(subject: Record<string, string | string[]> | undefined): string | undefined {
  const cn = subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}
