import { lookup } from "node:dns";
import { BlockList, isIP } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { LlmError, plainMessage } from "./errors.js";

/**
 * SSRF guard for user-supplied provider URLs. The check runs inside the connection's own DNS lookup, so the
 * address that is checked is the address that is dialled (a name that resolves to a public address at save
 * time and to 127.0.0.1 at use time — DNS rebinding — is still refused).
 */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
  ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) PRIVATE.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8], ["64:ff9b::", 96]] as const) {
  PRIVATE.addSubnet(net, bits, "ipv6");
}

/** Hosts, addresses or CIDRs an admin allowed to be private (LAB_LLM_ALLOWED_PRIVATE_HOSTS). */
export interface AddressPolicy {
  allowedHosts: string[];
}

function inAllowList(policy: AddressPolicy, host: string, address: string): boolean {
  for (const entry of policy.allowedHosts) {
    const [net, bits] = entry.split("/");
    if (bits && net && isIP(net)) {
      const list = new BlockList();
      list.addSubnet(net, Number(bits), isIP(net) === 6 ? "ipv6" : "ipv4");
      if (list.check(address, isIP(address) === 6 ? "ipv6" : "ipv4")) return true;
    } else if (entry.toLowerCase() === host.toLowerCase() || entry === address) return true;
  }
  return false;
}

export function isPrivateAddress(address: string): boolean {
  const v = isIP(address);
  if (v === 0) return true;
  // ::ffff:127.0.0.1 reaches 127.0.0.1: check the IPv4 inside.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, "ipv4");
  return PRIVATE.check(address, v === 6 ? "ipv6" : "ipv4");
}

const refused = (host: string) => new LlmError("refused_address", null, false, `${plainMessage("refused_address")} (${host}), and no admin allowed it`);

/** Checked at save time, for a clear error in the settings form; the connection re-checks every dial. */
export async function checkBaseUrl(raw: string, policy: AddressPolicy): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LlmError("bad_request", null, false, "The base URL is not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new LlmError("bad_request", null, false, "The base URL must be http(s)");
  if (url.username || url.password) throw new LlmError("bad_request", null, false, "The base URL must not carry credentials");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const addresses = await resolveAll(host).catch(() => {
    throw new LlmError("unreachable", null, false, `The base URL's host (${host}) does not resolve`);
  });
  for (const a of addresses) if (isPrivateAddress(a) && !inAllowList(policy, host, a)) throw refused(host);
  url.hash = "";
  return url.toString().replace(/\/$/, "");
}

function resolveAll(host: string): Promise<string[]> {
  if (isIP(host)) return Promise.resolve([host]);
  return new Promise((resolve, reject) =>
    lookup(host, { all: true }, (err, list) => (err ? reject(err) : resolve(list.map((a) => a.address)))),
  );
}

/** A fetch for the provider SDKs whose every connection goes through the address check. */
export function guardedFetch(policy: AddressPolicy): typeof fetch {
  const agent = new Agent({
    connect: {
      lookup(hostname, options, callback) {
        lookup(hostname, { ...options, all: true }, (err, list) => {
          if (err) return callback(err, []);
          const bad = list.find((a) => isPrivateAddress(a.address) && !inAllowList(policy, hostname, a.address));
          if (bad) return callback(refused(hostname), []);
          callback(null, list);
        });
      },
    },
  });
  // undici's fetch is the same WHATWG fetch as Node's global one; the SDKs take it as `fetch`. Redirects are
  // not followed: a 302 to http://169.254.169.254/ names an IP literal, which is dialled without a lookup.
  return ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, redirect: "manual", dispatcher: agent })) as unknown as typeof fetch;
}
