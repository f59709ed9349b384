import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { clientAddressResolver } from "../../src/http/client-address.ts";

const peer = (address: string) => ({ requestIP: () => ({ address }) });
const request = (forwarded?: string) => new Request("http://localhost/", { headers: forwarded ? { "x-forwarded-for": forwarded } : {} });

describe("the client's address", () => {
  test("without trusted proxies it is the socket's peer, whatever the headers say", () => {
    const resolve = clientAddressResolver([]);
    expect(resolve(peer("203.0.113.9"), request("1.2.3.4"))).toBe("203.0.113.9");
    expect(resolve(peer("::ffff:127.0.0.1"), request())).toBe("127.0.0.1");
    expect(resolve(null, request())).toBe("unknown");
  });

  test("behind a trusted proxy it is the first untrusted hop from the right", () => {
    const resolve = clientAddressResolver(["loopback", "10.0.0.5"]);
    expect(resolve(peer("127.0.0.1"), request("198.51.100.7"))).toBe("198.51.100.7");
    expect(resolve(peer("127.0.0.1"), request("198.51.100.7, 10.0.0.5"))).toBe("198.51.100.7");
    // A client cannot pick its own address: what it wrote stays left of what the proxy appended.
    expect(resolve(peer("127.0.0.1"), request("6.6.6.6, 198.51.100.7"))).toBe("198.51.100.7");
    expect(resolve(peer("::1"), request())).toBe("::1");
  });

  test("a header from a peer that is not a trusted proxy is ignored", () => {
    const resolve = clientAddressResolver(["10.0.0.5"]);
    expect(resolve(peer("203.0.113.9"), request("198.51.100.7"))).toBe("203.0.113.9");
  });

  test("COC_TRUSTED_PROXIES takes addresses and 'loopback'", () => {
    expect(loadConfig({ COC_TRUSTED_PROXIES: "loopback, 10.0.0.5,::1" }).trustedProxies).toEqual(["loopback", "10.0.0.5", "::1"]);
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(() => loadConfig({ COC_TRUSTED_PROXIES: "nginx" })).toThrow(ConfigError);
  });
});
