import { isLoopbackHost } from "../config.ts";

type PeerSource = { requestIP(request: Request): { address: string } | null } | null;

/** The client address of a request, given the server it came through. */
export type ClientAddress = (server: PeerSource, request: Request) => string;

/** "::ffff:127.0.0.1" (IPv4 mapped into IPv6) is 127.0.0.1. */
function plain(address: string): string {
  return address.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
}

/**
 * The address of the client a request comes from, for throttling and logs. Behind a reverse
 * proxy every request comes from the proxy: when the peer is a trusted proxy (COC_TRUSTED_PROXIES),
 * the X-Forwarded-For chain is read from the right, skipping trusted hops, and the first other
 * address is the client. Anything a client writes into the header itself stays to the left of
 * what the trusted proxies appended, so it is never believed.
 */
export function clientAddressResolver(trustedProxies: readonly string[]): ClientAddress {
  const exact = new Set(trustedProxies.filter((entry) => entry !== "loopback").map(plain));
  const loopback = trustedProxies.includes("loopback");
  const trusted = (address: string) => exact.has(address) || (loopback && isLoopbackHost(address));

  return (server: PeerSource, request: Request): string => {
    const peer = server?.requestIP(request)?.address;
    if (!peer) return "unknown";
    let client = plain(peer);
    if (!trusted(client)) return client;
    const forwarded = request.headers.get("x-forwarded-for");
    if (!forwarded) return client;
    const hops = forwarded.split(",").map((hop) => plain(hop.trim())).filter((hop) => hop.length > 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      client = hops[i]!;
      if (!trusted(client)) return client;
    }
    return client;
  };
}
