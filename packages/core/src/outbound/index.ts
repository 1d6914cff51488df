export {
  type AddressRange,
  type AddressRangeKind,
  classifyAddress,
  ipv4Ranges,
  ipv6NotGlobal,
  ipv6Ranges,
  metadataRanges,
} from "./addressRanges.ts";
export {
  createOutboundGuard,
  type HostResolver,
  type OutboundGuard,
  type OutboundPolicy,
  type OutboundVerdict,
  type RefusalReason,
  type ResolvedAddress,
  systemResolver,
} from "./outboundGuard.ts";
