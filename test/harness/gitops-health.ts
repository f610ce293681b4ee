/**
 * Judges an object's health the way the GitOps tools do, so that the health checks shipped in docs/gitops/ are
 * tested against real objects: an Argo CD health check script run in a Lua VM (fengari, Lua 5.3 in JavaScript; Argo
 * CD runs gopher-lua's 5.1, so the scripts keep to what both have) with the object as the global `obj`, and a Flux
 * Kustomization's healthCheckExprs evaluated in CEL in Flux's order.
 */
import { Environment } from '@marcbachmann/cel-js';
import fengari from 'fengari';

const { lua, lauxlib, lualib, to_luastring } = fengari;
type LuaState = ReturnType<typeof lauxlib.luaL_newstate>;

/** What an Argo CD health check returns. */
export interface ArgoHealth {
  status: string;
  message: string;
}

/** Pushes a JSON value as Argo CD hands it to Lua: objects and arrays become tables, arrays counted from 1. */
function push(L: LuaState, value: unknown): void {
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === 'boolean') lua.lua_pushboolean(L, value);
  // fengari's integers are 32 bits; a larger whole number (spec.source.maxBytes) goes in as a float, as in Lua 5.1.
  else if (typeof value === 'number') ((value | 0) === value ? lua.lua_pushinteger : lua.lua_pushnumber)(L, value);
  else if (typeof value === 'string') lua.lua_pushstring(L, to_luastring(value));
  else if (Array.isArray(value)) {
    lua.lua_createtable(L, value.length, 0);
    value.forEach((item, i) => {
      push(L, item);
      lua.lua_rawseti(L, -2, i + 1);
    });
  } else {
    const entries = Object.entries(value as Record<string, unknown>);
    lua.lua_createtable(L, 0, entries.length);
    for (const [key, item] of entries) {
      push(L, item);
      lua.lua_setfield(L, -2, to_luastring(key));
    }
  }
}

/** Runs an Argo CD health check script on an object; throws with Lua's message when the script fails. */
export function argoHealth(script: string, obj: unknown): ArgoHealth {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  push(L, obj);
  lua.lua_setglobal(L, to_luastring('obj'));
  if (lauxlib.luaL_loadstring(L, to_luastring(script)) !== lua.LUA_OK || lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) {
    throw new Error(`the health check failed: ${lua.lua_tojsstring(L, -1)}`);
  }
  const field = (name: string) => {
    lua.lua_getfield(L, -1, to_luastring(name));
    const text = lua.lua_tojsstring(L, -1) ?? '';
    lua.lua_pop(L, 1);
    return text;
  };
  return { status: field('status'), message: field('message') };
}

/** One entry of a Flux Kustomization's spec.healthCheckExprs. */
export interface FluxHealthCheck {
  apiVersion: string;
  kind: string;
  current: string;
  failed?: string;
  inProgress?: string;
}

/**
 * The status kustomize-controller gives an object from its healthCheckExprs: the first of inProgress, failed and
 * current that is true (InProgress, Failed, Current), and InProgress when none is.
 */
export function fluxHealth(check: FluxHealthCheck, obj: Record<string, unknown>): 'InProgress' | 'Failed' | 'Current' {
  const env = new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true });
  const order = [['InProgress', check.inProgress], ['Failed', check.failed], ['Current', check.current]] as const;
  for (const [status, expression] of order) {
    if (expression !== undefined && env.evaluate(expression, obj) === true) return status;
  }
  return 'InProgress';
}

/**
 * What kstatus (Flux's health check without healthCheckExprs, `kubectl`-free tools built on cli-utils) makes of a
 * custom resource it has no rules for: InProgress until status.observedGeneration reaches metadata.generation, then
 * Reconciling=True is InProgress, Stalled=True is Failed, and anything else is Current. Ready is not read.
 */
export function kstatusHealth(obj: { metadata: { generation?: number }; status?: { observedGeneration?: number; conditions?: { type: string; status: string }[] } }): 'InProgress' | 'Failed' | 'Current' {
  if (obj.status?.observedGeneration !== obj.metadata.generation) return 'InProgress';
  const conditions = obj.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Reconciling' && c.status === 'True')) return 'InProgress';
  if (conditions.some((c) => c.type === 'Stalled' && c.status === 'True')) return 'Failed';
  return 'Current';
}
