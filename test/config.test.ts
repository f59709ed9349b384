import { describe, expect, test } from "bun:test";
import { ConfigError, isLoopbackHost, loadConfig, parseDuration } from "../src/config.ts";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, {}, "/srv/coc");
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  test("embedded defaults match the Configuration table of API.md", () => {
    const config = loadConfig({}, {}, "/srv/coc");
    expect(config.port).toBe(8000);
    expect(config.host).toBe("0.0.0.0");
    expect(config.dataDir).toBe("/srv/coc/data");
    expect(config.database).toBe("/srv/coc/data/coc.db");
    expect(config.jwtSecret).toBeNull();
    expect(config.accessTtlSeconds).toBe(15 * 60);
    expect(config.refreshTtlSeconds).toBe(30 * 86_400);
    expect(config.corsOrigins).toEqual([]);
    expect(config.oauthRedirectUris).toEqual([]);
    expect([config.github, config.google, config.discord, config.razorpay]).toEqual([null, null, null, null]);
    expect(config.logLevel).toBe("info");
    expect(config.maxBodyBytes).toBe(1024 * 1024);
    expect(Object.isFrozen(config)).toBe(true);
  });

  test("reads every variable of the table", () => {
    const config = loadConfig(
      {
        COC_PORT: "9001",
        COC_HOST: "127.0.0.1",
        COC_DATA_DIR: "/var/lib/coc",
        COC_JWT_SECRET: "s".repeat(40),
        COC_ACCESS_TTL: "5m",
        COC_REFRESH_TTL: "7d",
        COC_CORS_ORIGINS: "https://app.example.com, http://localhost:5173",
        COC_OAUTH_REDIRECT_URIS: "https://app.example.com/oauth/callback",
        COC_GITHUB_CLIENT_ID: "gh-id",
        COC_GITHUB_CLIENT_SECRET: "gh-secret",
        COC_GITHUB_WEB_URL: "http://127.0.0.1:4000/",
        COC_GITHUB_API_URL: "http://127.0.0.1:4001",
        COC_GOOGLE_CLIENT_ID: "g-id",
        COC_GOOGLE_CLIENT_SECRET: "g-secret",
        COC_GOOGLE_ISSUER: "http://localhost:4002",
        COC_DISCORD_CLIENT_ID: "d-id",
        COC_DISCORD_CLIENT_SECRET: "d-secret",
        COC_DISCORD_BASE_URL: "https://discord.example",
        COC_RAZORPAY_KEY_ID: "rzp_test_1",
        COC_RAZORPAY_KEY_SECRET: "rzp-secret",
        COC_RAZORPAY_WEBHOOK_SECRET: "hook",
        COC_RAZORPAY_BASE_URL: "http://[::1]:4003",
        COC_LOG_LEVEL: "WARN",
      },
      {},
      "/srv/coc",
    );
    expect(config.port).toBe(9001);
    expect(config.host).toBe("127.0.0.1");
    expect(config.database).toBe("/var/lib/coc/coc.db");
    expect(config.jwtSecret).toBe("s".repeat(40));
    expect(config.accessTtlSeconds).toBe(300);
    expect(config.refreshTtlSeconds).toBe(7 * 86_400);
    expect(config.corsOrigins).toEqual(["https://app.example.com", "http://localhost:5173"]);
    expect(config.oauthRedirectUris).toEqual(["https://app.example.com/oauth/callback"]);
    expect(config.github).toEqual({
      clientId: "gh-id",
      clientSecret: "gh-secret",
      webUrl: "http://127.0.0.1:4000",
      apiUrl: "http://127.0.0.1:4001",
    });
    expect(config.google?.issuer).toBe("http://localhost:4002");
    expect(config.discord?.baseUrl).toBe("https://discord.example");
    expect(config.razorpay).toEqual({
      keyId: "rzp_test_1",
      keySecret: "rzp-secret",
      webhookSecret: "hook",
      baseUrl: "http://[::1]:4003",
    });
    expect(config.logLevel).toBe("warn");
  });

  test("PORT is honoured when COC_PORT is absent, and COC_PORT wins over it", () => {
    expect(loadConfig({ PORT: "7000" }).port).toBe(7000);
    expect(loadConfig({ PORT: "7000", COC_PORT: "7001" }).port).toBe(7001);
  });

  test("flags override the environment", () => {
    const config = loadConfig(
      { COC_PORT: "9001", COC_HOST: "127.0.0.1", COC_DATA_DIR: "/a", COC_DATABASE: "/a/x.db" },
      { port: 0, host: "::1", dataDir: "rel", database: ":memory:" },
      "/srv",
    );
    expect(config).toMatchObject({ port: 0, host: "::1", dataDir: "/srv/rel", database: ":memory:" });
  });

  test("a relative COC_DATABASE is resolved against the working directory", () => {
    expect(loadConfig({ COC_DATABASE: "db/coc.sqlite" }, {}, "/srv").database).toBe("/srv/db/coc.sqlite");
  });

  test.each([
    [{ COC_PORT: "eighty" }, "COC_PORT", "port number"],
    [{ COC_PORT: "70000" }, "COC_PORT", "port number"],
    [{ PORT: "-1" }, "PORT", "port number"],
    [{ COC_ACCESS_TTL: "15 minutes" }, "COC_ACCESS_TTL", "duration"],
    [{ COC_REFRESH_TTL: "0d" }, "COC_REFRESH_TTL", "duration"],
    [{ COC_LOG_LEVEL: "loud" }, "COC_LOG_LEVEL", "debug, info, warn, error"],
    [{ COC_JWT_SECRET: "short" }, "COC_JWT_SECRET", "at least 32"],
    [{ COC_CORS_ORIGINS: "https://app.example.com/path" }, "COC_CORS_ORIGINS", "origin"],
    [{ COC_CORS_ORIGINS: "not a url" }, "COC_CORS_ORIGINS", "origins"],
    [{ COC_OAUTH_REDIRECT_URIS: "http://app.example.com/cb" }, "COC_OAUTH_REDIRECT_URIS", "https"],
    [{ COC_GITHUB_CLIENT_ID: "id" }, "COC_GITHUB_CLIENT_SECRET", "required"],
    [{ COC_RAZORPAY_KEY_SECRET: "s" }, "COC_RAZORPAY_KEY_ID", "required"],
    [{ COC_GITHUB_API_URL: "http://api.github.example" }, "COC_GITHUB_API_URL", "loopback"],
    [{ COC_GOOGLE_ISSUER: "ftp://accounts.example" }, "COC_GOOGLE_ISSUER", "http(s)"],
    [{ COC_DISCORD_BASE_URL: "discord" }, "COC_DISCORD_BASE_URL", "absolute URL"],
    [{ COC_RAZORPAY_BASE_URL: "https://user:pw@api.razorpay.com" }, "COC_RAZORPAY_BASE_URL", "credentials"],
    [{ COC_HOST: "my host" }, "COC_HOST", "host"],
    [{ COC_OAUTH_REDIRECT_URIS: "https://{provider}.example.com/cb" }, "COC_OAUTH_REDIRECT_URIS", "only in the path"],
    [{ COC_PUBLIC_URL: "coc.example.com" }, "COC_PUBLIC_URL", "absolute URL"],
    [{ COC_PUBLIC_URL: "https://coc.example.com/?x=1" }, "COC_PUBLIC_URL", "query"],
    [{ COC_REGISTRATIONS_PER_ADDRESS: "ten per hour" }, "COC_REGISTRATIONS_PER_ADDRESS", "10/1h"],
    [{ COC_OAUTH_STARTS_PER_ADDRESS: "0/10m" }, "COC_OAUTH_STARTS_PER_ADDRESS", "10/1h"],
    [{ COC_REFERRAL_DAILY_CAP: "-1" }, "COC_REFERRAL_DAILY_CAP", "whole number"],
    [{ COC_MAX_UPLOAD_BYTES: "10" }, "COC_MAX_UPLOAD_BYTES", "at least 1024"],
  ] as [Record<string, string>, string, string][])("%p is refused, naming %s", (env, variable, hint) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).toContain(hint);
  });

  test("product settings beyond the API table: rewards, packages, chat rate", () => {
    const defaults = loadConfig({});
    expect(defaults.rewards).toEqual({ table: [5, 10, 15, 20, 25, 30, 35], freezeCost: 50, freezeCap: 2 });
    expect(defaults.packages[1]).toEqual({ amountInr: 99, xp: 100 });
    expect(defaults.packages.length).toBe(8);
    expect(defaults.chatRate).toEqual({ burst: 5, perSecond: 1 });
    const custom = loadConfig({
      COC_CHECKIN_REWARDS: "1, 2,3",
      COC_STREAK_FREEZE_COST: "10",
      COC_STREAK_FREEZE_CAP: "0",
      COC_XP_PACKAGES: "199:250, 99:100",
      COC_CHAT_BURST: "10",
      COC_CHAT_PER_SECOND: "2",
    });
    expect(custom.rewards).toEqual({ table: [1, 2, 3], freezeCost: 10, freezeCap: 0 });
    expect(custom.packages).toEqual([{ amountInr: 99, xp: 100 }, { amountInr: 199, xp: 250 }]);
    expect(custom.chatRate).toEqual({ burst: 10, perSecond: 2 });
    for (const [env, variable] of [
      [{ COC_CHECKIN_REWARDS: "5,ten" }, "COC_CHECKIN_REWARDS"],
      [{ COC_CHECKIN_REWARDS: "5,-1" }, "COC_CHECKIN_REWARDS"],
      [{ COC_STREAK_FREEZE_COST: "0" }, "COC_STREAK_FREEZE_COST"],
      [{ COC_XP_PACKAGES: "99=100" }, "COC_XP_PACKAGES"],
      [{ COC_XP_PACKAGES: "99:100,99:200" }, "COC_XP_PACKAGES"],
      [{ COC_CHAT_BURST: "lots" }, "COC_CHAT_BURST"],
    ] as [Record<string, string>, string][]) {
      expect(configError(env).variable).toBe(variable);
    }
  });

  test("settings added since the first release: their defaults and their readings", () => {
    const defaults = loadConfig({});
    expect(defaults.publicUrl).toBeNull();
    expect(defaults.registrationsPerAddress).toEqual({ limit: 10, windowMs: 3_600_000 });
    expect(defaults.oauthStartsPerAddress).toEqual({ limit: 60, windowMs: 600_000 });
    expect(defaults.referralDailyCap).toBe(10);
    expect(defaults.maxUploadBytes).toBe(2 * 1024 * 1024);
    expect(defaults.webRoot).toBeNull();
    const custom = loadConfig({
      COC_PUBLIC_URL: "https://coc.example.com/",
      COC_REGISTRATIONS_PER_ADDRESS: "3/30m",
      COC_OAUTH_STARTS_PER_ADDRESS: "5/1m",
      COC_REFERRAL_DAILY_CAP: "0",
      COC_OAUTH_REDIRECT_URIS: "https://coc.example.com/auth/{provider}/callback, https://app.example.com/cb",
    });
    expect(custom.publicUrl).toBe("https://coc.example.com");
    expect(custom.registrationsPerAddress).toEqual({ limit: 3, windowMs: 1_800_000 });
    expect(custom.oauthStartsPerAddress).toEqual({ limit: 5, windowMs: 60_000 });
    expect(custom.referralDailyCap).toBe(0);
    expect(custom.oauthRedirectUris).toEqual(["https://coc.example.com/auth/{provider}/callback", "https://app.example.com/cb"]);
  });

  test("blank variables count as unset", () => {
    expect(loadConfig({ COC_PORT: "", COC_LOG_LEVEL: "  ", COC_GITHUB_CLIENT_ID: "" }).port).toBe(8000);
  });
});

describe("helpers", () => {
  test("parseDuration", () => {
    expect(parseDuration("X", "90")).toBe(90);
    expect(parseDuration("X", "2h")).toBe(7200);
  });

  test("isLoopbackHost", () => {
    for (const host of ["localhost", "127.0.0.1", "127.9.8.7", "::1", "[::1]"]) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["10.0.0.1", "example.com", "localhost.example.com", "0.0.0.0"]) expect(isLoopbackHost(host)).toBe(false);
  });
});
