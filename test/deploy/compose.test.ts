import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { parseStoreUrl } from '../../src/config/store-url.js';

/**
 * The deployment files, checked without a container engine: docker-compose.yml (a 3-node KurrentDB
 * cluster and two bzzz nodes) by its structure, and by `docker compose config` when the Compose plugin
 * is installed; the Dockerfile by its stages and runtime settings.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const composeText = readFileSync(`${root}docker-compose.yml`, 'utf8');
const dockerfileText = readFileSync(`${root}Dockerfile`, 'utf8');

type Env = Record<string, string>;
interface Service {
  image?: string;
  build?: unknown;
  environment?: Env;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function loadCompose(): Compose {
  // `<<` merge keys (the x-* templates) resolved as Compose resolves them.
  const document = parseDocument(composeText, { merge: true });
  expect(document.errors).toEqual([]);
  expect(document.warnings).toEqual([]);
  return document.toJS() as Compose;
}

const compose = loadCompose();
const services = Object.entries(compose.services);
const kurrentNodes = services.filter(([, service]) => service.image?.includes('/kurrentdb:'));
const bzzzNodes = services.filter(([, service]) => service.build !== undefined);
const env = (service: Service): Env => service.environment ?? {};
const healthcheckText = (service: Service): string => [service.healthcheck?.test ?? []].flat().join(' ');
/** `[host ip:]host port:container port`, as published. */
const published = (service: Service) =>
  (service.ports ?? []).map((spec) => {
    const parts = spec.split(':');
    return { ip: parts.length === 3 ? parts[0] : undefined, host: parts.at(-2), container: parts.at(-1) };
  });
/** The `host:port` list of a kurrentdb:// connection string. */
const hostsOf = (connectionString: string): string[] =>
  /^[a-z+]+:\/\/([^/?#]+)/i.exec(connectionString)?.[1]?.split(',') ?? [];
/** Where a node is reached: its advertised name and its own port, the same inside and outside Compose. */
const endpointOf = ([name, service]: [string, Service]): string => {
  expect(env(service).KURRENTDB_NODE_HOST_ADVERTISE_AS).toBe(name);
  return `${name}:${env(service).KURRENTDB_NODE_PORT}`;
};

describe('docker-compose.yml', () => {
  it('runs a 3-node KurrentDB cluster whose gossip seeds name the other two nodes', () => {
    expect(kurrentNodes.map(([name]) => name)).toHaveLength(3);
    const endpoints = kurrentNodes.map(endpointOf);
    expect(new Set(endpoints).size).toBe(3);
    kurrentNodes.forEach(([name, service], i) => {
      const vars = env(service);
      expect(service.image, name).toMatch(/^docker\.kurrent\.io\/kurrent-latest\/kurrentdb:/);
      expect(vars.KURRENTDB_CLUSTER_SIZE, name).toBe('3');
      expect(vars.KURRENTDB_DISCOVER_VIA_DNS, name).toBe('false');
      expect(vars.KURRENTDB_RUN_PROJECTIONS, name).toBe('None');
      expect(vars.KURRENTDB_REPLICATION_HOST_ADVERTISE_AS, name).toBe(name);
      const others = endpoints.filter((_, j) => j !== i);
      expect(vars.KURRENTDB_GOSSIP_SEED?.split(',').sort(), name).toEqual(others.sort());
    });
  });

  it('runs KurrentDB insecure only with the local-only warning beside the setting, on loopback ports', () => {
    for (const [name, service] of kurrentNodes) {
      expect(env(service).KURRENTDB_INSECURE, name).toBe('true');
    }
    const lines = composeText.split('\n');
    const setting = lines.findIndex((line) => /^\s*KURRENTDB_INSECURE:/.test(line));
    expect(setting).toBeGreaterThan(0);
    expect(lines.slice(Math.max(0, setting - 2), setting + 1).join('\n')).toMatch(/LOCAL USE ONLY/);
    expect(composeText.slice(0, composeText.indexOf('services:'))).toMatch(/LOCAL USE ONLY[\s\S]*INSECURE/);
    for (const [name, service] of services) {
      for (const port of published(service))
        expect(port.ip, `${name} publishes beyond loopback`).toBe('127.0.0.1');
    }
  });

  it('checks the health of every service, each KurrentDB node on its own port', () => {
    for (const [name, service] of services) {
      expect(service.healthcheck?.disable, name).not.toBe(true);
      expect(healthcheckText(service), name).not.toBe('');
    }
    for (const [name, service] of kurrentNodes) {
      const port = env(service).KURRENTDB_NODE_PORT;
      expect(healthcheckText(service), name).toContain(`:${port}/health/live`);
      // The port a node listens on is the port published on the host, so advertised addresses hold there.
      expect(published(service), name).toEqual([{ ip: '127.0.0.1', host: port, container: port }]);
    }
    for (const [name, service] of bzzzNodes) {
      expect(healthcheckText(service), name).toContain(`:${env(service).BZZZ_PORT}/health`);
    }
  });

  it('runs two bzzz nodes on the cluster, started once every KurrentDB node is healthy', () => {
    expect(bzzzNodes).toHaveLength(2);
    const endpoints = kurrentNodes.map(endpointOf).sort();
    for (const [name, service] of bzzzNodes) {
      const vars = env(service);
      const store = parseStoreUrl(vars.BZZZ_STORE ?? '');
      expect(store.kind, name).toBe('kurrentdb');
      if (store.kind !== 'kurrentdb') continue;
      expect(hostsOf(store.connectionString).sort(), name).toEqual(endpoints);
      expect(store.connectionString, name).toMatch(/[?&]tls=false(&|$)/);
      expect(vars.BZZZ_HOST, name).toBe('0.0.0.0');
      // Bound beyond loopback, bzzz needs a token: required from the environment, no default.
      expect(vars.BZZZ_TOKEN, name).toMatch(/^\$\{BZZZ_TOKEN:\?[^}]+\}$/);
      for (const [node] of kurrentNodes) {
        expect(service.depends_on?.[node]?.condition, `${name} → ${node}`).toBe('service_healthy');
      }
    }
  });

  it('declares every named volume, gives each node its own, and publishes no host port twice', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const used = services.flatMap(([name, service]) =>
      (service.volumes ?? []).map((mount) => {
        const [source = '', target] = mount.split(':');
        expect(source.startsWith('.') || source.startsWith('/'), `${name} bind-mounts ${source}`).toBe(false);
        return { name, source, target };
      }),
    );
    expect(new Set(used.map((mount) => mount.source)).size).toBe(used.length);
    expect(used.map((mount) => mount.source).sort()).toEqual([...declared].sort());
    for (const [name] of kurrentNodes) {
      expect(
        used.filter((m) => m.name === name).map((m) => m.target),
        name,
      ).toContain('/var/lib/kurrentdb');
    }
    for (const [name, service] of bzzzNodes) {
      expect(
        used.filter((m) => m.name === name).map((m) => m.target),
        name,
      ).toEqual([env(service).BZZZ_DATA_DIR]);
    }
    const hostPorts = services.flatMap(([, service]) => published(service).map((port) => port.host));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  // `docker compose` (the plugin), else a standalone `docker-compose`; neither needs a running engine.
  const candidates = [['docker', 'compose'], ['docker-compose']];
  const probes = candidates.map((command) => {
    const [program = '', ...rest] = command;
    const probe = spawnSync(program, [...rest, 'version'], { encoding: 'utf8' });
    const why = (probe.stderr || String(probe.error ?? '')).trim().split('\n')[0];
    return { command, ok: probe.status === 0, why: `${command.join(' ')}: ${why}` };
  });
  const composeCommand = probes.find((probe) => probe.ok)?.command;

  it('passes `docker compose config` (when Compose is installed)', (context) => {
    if (composeCommand === undefined) {
      context.skip(
        `no Compose here (${probes.map((probe) => probe.why).join('; ')}); the structure is checked above instead`,
      );
      return;
    }
    const [program = '', ...rest] = composeCommand;
    const run = (extra: Env) =>
      spawnSync(program, [...rest, '-f', 'docker-compose.yml', 'config', '-q'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, BZZZ_TOKEN: undefined, ...extra },
      });
    const valid = run({ BZZZ_TOKEN: 'compose-config-check-token' });
    expect(valid.stderr).toBe('');
    expect(valid.status).toBe(0);
    const withoutToken = run({});
    expect(withoutToken.status).not.toBe(0);
    expect(withoutToken.stderr).toMatch(/BZZZ_TOKEN/);
  });
});

/** The Dockerfile's instructions per stage, continuation lines joined and comments dropped. */
function dockerfileStages(text: string): { name: string | undefined; instructions: string[] }[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  const stages: { name: string | undefined; instructions: string[] }[] = [];
  for (const line of lines) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ name: from[1], instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

describe('Dockerfile', () => {
  const stages = dockerfileStages(dockerfileText);
  const runtime = stages.at(-1)?.instructions ?? [];
  const find = (keyword: string) => runtime.filter((line) => line.toUpperCase().startsWith(`${keyword} `));

  it('builds in a stage with the toolchain and the lockfile, and runs from a stage without them', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((stage) => stage.name === 'build')?.instructions.join('\n') ?? '';
    expect(build).toMatch(/apt-get install[^\n]*python3[^\n]*make[^\n]*g\+\+/);
    expect(build).toMatch(/COPY [^\n]*package-lock\.json/);
    expect(build).toMatch(/npm ci\b/);
    expect(build).toMatch(/better-sqlite3/);
    expect(build).toMatch(/npm prune --omit=dev/);
    expect(runtime.join('\n')).not.toMatch(/apt-get install|g\+\+|npm (ci|install)/);
    expect(find('COPY').every((line) => /--from=build\b/.test(line))).toBe(true);
  });

  it('runs `bzzz serve` as a user other than root, with a health check', () => {
    const users = find('USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER\s+(root|0)(:|\s|$)/i);
    expect(find('ENTRYPOINT').at(-1)).toMatch(/bin\/bzzz\.js/);
    expect(find('CMD').at(-1)).toMatch(/serve/);
    expect(find('HEALTHCHECK').at(-1)).toMatch(/\/health\b/);
    expect(find('VOLUME').join(' ')).toContain('/data');
  });
});
