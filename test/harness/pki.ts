// A throw-away PKI for one test run: a CA, serving certificates for loopback servers, client
// certificates for any user and groups (Kubernetes reads CN as the user, O as the groups), and a
// service-account signing key. Everything lives in memory until a server needs a file.
import { webcrypto, generateKeyPairSync, randomBytes } from 'node:crypto';
// @peculiar/x509 resolves its ASN.1 services through tsyringe, which needs the Reflect polyfill.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type KeyPair = webcrypto.CryptoKeyPair;
type Key = webcrypto.CryptoKey;

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const validityMs = 7 * 24 * 60 * 60 * 1000;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends PemPair {
  issueServing(hosts: { dns: string[]; ips: string[] }): Promise<PemPair>;
  issueClient(user: string, groups?: readonly string[]): Promise<PemPair>;
}

export async function createCertificateAuthority(
  commonName = 'kube-bind-ts test CA',
): Promise<CertificateAuthority> {
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    ...validity(),
    signingAlgorithm: keyAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });

  return authorityFrom(cert, keys.privateKey);
}

/** The CA of a running cluster (as handed to test workers), to mint more client certificates. */
export async function loadCertificateAuthority(
  certPem: string,
  keyPem: string,
): Promise<CertificateAuthority> {
  const der = x509.PemConverter.decodeFirst(keyPem);
  const key = await webcrypto.subtle.importKey('pkcs8', der, keyAlgorithm, true, ['sign']);
  return authorityFrom(new x509.X509Certificate(certPem), key);
}

async function authorityFrom(
  cert: x509.X509Certificate,
  caKey: Key,
): Promise<CertificateAuthority> {
  const issue = async (
    subject: string,
    usage: string,
    extra: x509.Extension[] = [],
  ): Promise<PemPair> => {
    const leafKeys = await newKeyPair();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: cert.subject,
      ...validity(),
      signingAlgorithm: keyAlgorithm,
      publicKey: leafKeys.publicKey,
      signingKey: caKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([usage], false),
        await x509.AuthorityKeyIdentifierExtension.create(cert),
        ...extra,
      ],
    });
    return { certPem: leaf.toString('pem'), keyPem: await privateKeyPem(leafKeys.privateKey) };
  };

  return {
    certPem: cert.toString('pem'),
    keyPem: await privateKeyPem(caKey),
    issueServing: ({ dns, ips }) =>
      issue(`CN=${dns[0] ?? ips[0] ?? 'server'}`, x509.ExtendedKeyUsage.serverAuth, [
        new x509.SubjectAlternativeNameExtension([
          ...dns.map((value) => ({ type: 'dns' as const, value })),
          ...ips.map((value) => ({ type: 'ip' as const, value })),
        ]),
      ]),
    issueClient: (user, groups = []) =>
      issue(
        [`CN=${escapeRdn(user)}`, ...groups.map((g) => `O=${escapeRdn(g)}`)].join(', '),
        x509.ExtendedKeyUsage.clientAuth,
      ),
  };
}

/** An RSA key pair for signing service-account tokens (kube-apiserver and kube-controller-manager share it). */
export function createServiceAccountSigningKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

async function newKeyPair(): Promise<KeyPair> {
  return webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
}

async function privateKeyPem(key: Key): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function serial(): string {
  // Positive 128-bit serial: clear the top bit so DER does not read it as negative.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  // Back-date a little: the servers and this process read the same clock, but leave slack.
  return { notBefore: new Date(now - 60 * 60 * 1000), notAfter: new Date(now + validityMs) };
}

function escapeRdn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}
