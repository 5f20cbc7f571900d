import { parseAddress, type SemanticAddress } from '../../actors/address.js';

/** Addresses kept parsed: tools are called with the same few addresses again and again. */
const parsed = new Map<string, SemanticAddress>();
const MAX_PARSED = 1000;

/** `parseAddress`, remembered (frozen: every caller shares it); an invalid address throws every time. */
export function parseAddressOnce(raw: string): SemanticAddress {
  let address = parsed.get(raw);
  if (address === undefined) {
    address = Object.freeze(parseAddress(raw));
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(raw, address);
  }
  return address;
}
