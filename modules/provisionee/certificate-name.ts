/**
 * Reads the subject common name of an X.509 certificate (DER), for the `<common name>_<serial number>`
 * client id: certificate → tbsCertificate → subject → the CN attribute, with the shared DER reader.
 */
import type { TextCodec } from '../../platform/pal/index.js';
import { decodeOid, derChildren, derContents, readDer, DerError } from '../codec/der-reader.js';
import { SdkError } from '../util/errors.js';

export class CertificateParseError extends SdkError {}

const COMMON_NAME = '2.5.4.3';

/** The subject's first common name, or undefined when the subject has none. */
export function certificateCommonName(der: Uint8Array, text: TextCodec): string | undefined {
  try {
    const [tbs] = derChildren(der, readDer(der));
    if (!tbs || tbs.tag !== 0x30) throw new CertificateParseError('expected tbsCertificate SEQUENCE');
    const fields = derChildren(der, tbs);
    // version [0] is optional; then serialNumber, signature, issuer, validity, subject.
    const subject = fields[fields[0]?.tag === 0xa0 ? 5 : 4];
    if (!subject || subject.tag !== 0x30) throw new CertificateParseError('expected subject Name SEQUENCE');
    for (const rdn of derChildren(der, subject)) {
      for (const attribute of derChildren(der, rdn)) {
        const [type, value] = derChildren(der, attribute);
        if (type?.tag === 0x06 && value && decodeOid(derContents(der, type)) === COMMON_NAME) {
          return text.decode(derContents(der, value), true);
        }
      }
    }
    return undefined;
  } catch (error) {
    if (error instanceof DerError) throw new CertificateParseError(`device certificate: ${error.message}`);
    throw error;
  }
}
