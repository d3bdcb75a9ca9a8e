/**
 * File and folder name rules (contract 20 §4.1) and a storage policy's name rules.
 *
 * Names are stored byte-exact: no Unicode normalization, no trimming, no case folding.
 * A valid name is 1–255 UTF-8 bytes, well-formed Unicode, has none of `\ / : * ? " < > |`, no control
 * character (C0, DEL, C1 — stricter than CE, which lets them through), and is not `.` or `..`.
 */
import { Code } from '@cloudreve-ts/protocol';
import { AppError } from '../http/errors.ts';

export const MAX_NAME_BYTES = 255;
const ILLEGAL_CHARS = /[\\/:*?"<>|]/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `name` is not a valid object name, or undefined when it is. */
export function nameViolation(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'Name cannot be empty';
  // Cheap upper bound first: a UTF-16 unit is at most 3 UTF-8 bytes and at least 1.
  if (name.length > MAX_NAME_BYTES) return `Name is longer than ${MAX_NAME_BYTES} bytes`;
  if (LONE_SURROGATE.test(name)) return 'Name is not valid Unicode';
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) return `Name is longer than ${MAX_NAME_BYTES} bytes`;
  if (ILLEGAL_CHARS.test(name)) return 'Name contains illegal characters';
  if (CONTROL.test(name)) return 'Name contains control characters';
  if (name === '.' || name === '..') return 'Name cannot be only dot';
  return undefined;
}

export function isValidName(name: unknown): name is string {
  return nameViolation(name) === undefined;
}

/** Throws 40052 IllegalObjectName when `name` is not a valid object name. */
export function assertValidName(name: unknown): asserts name is string {
  const problem = nameViolation(name);
  if (problem) throw new AppError(Code.IllegalObjectName, problem);
}

// ---------------------------------------------------------------------------------------------
// Storage policy rules

/** The subset of a storage policy's `settings` JSON that restricts names (contract 60 AdminStoragePolicy). */
export interface PolicyNameSettings {
  /** Extension list without dots; allow-list unless `is_file_type_deny_list`. Empty/null = no rule. */
  file_type?: string[] | null;
  is_file_type_deny_list?: boolean;
  /** Regular expression on the whole name; allow-list unless `is_name_regexp_deny_list`. Empty = no rule. */
  file_regexp?: string | null;
  is_name_regexp_deny_list?: boolean;
}

/** Lower-cased extension without the dot (Go `filepath.Ext`): `a.TAR.gz` → `gz`, `.bashrc` → `bashrc`, `a` → `''`. */
export function fileExtension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

const normalizeExt = (e: string) => e.trim().replace(/^\./, '').toLowerCase();

/** The user-facing StoragePolicy fields (contract 20 §2.4) derived from the settings. */
export function policyNameFields(s: PolicyNameSettings): {
  allowed_suffix?: string[];
  denied_suffix?: string[];
  allowed_name_regexp?: string;
  denied_name_regexp?: string;
} {
  const out: ReturnType<typeof policyNameFields> = {};
  const exts = (s.file_type ?? []).filter((e) => typeof e === 'string' && e.trim() !== '');
  if (exts.length) out[s.is_file_type_deny_list ? 'denied_suffix' : 'allowed_suffix'] = exts;
  if (s.file_regexp) out[s.is_name_regexp_deny_list ? 'denied_name_regexp' : 'allowed_name_regexp'] = s.file_regexp;
  return out;
}

const regexCache = new Map<string, RegExp | null>();
function compile(source: string): RegExp | null {
  let re = regexCache.get(source);
  if (re === undefined) {
    try {
      re = new RegExp(source); // same flags as the web client's local check
    } catch {
      re = null;
    }
    if (regexCache.size > 256) regexCache.clear();
    regexCache.set(source, re);
  }
  return re;
}

/**
 * Why the policy refuses a file named `name`, or undefined when it accepts it. Codes follow the
 * contract (20 §3.5, 30 §1.2 step 6): an extension or name-pattern refusal is 40052.
 * An unparseable regexp in the policy fails closed (refuses every name).
 */
export function policyNameViolation(name: string, s: PolicyNameSettings): string | undefined {
  const exts = (s.file_type ?? []).filter((e) => typeof e === 'string' && e.trim() !== '').map(normalizeExt);
  if (exts.length) {
    const ext = fileExtension(name);
    const listed = ext !== '' && exts.includes(ext);
    if (s.is_file_type_deny_list ? listed : !listed) return 'File extension is not allowed';
  }
  if (s.file_regexp) {
    const re = compile(s.file_regexp);
    if (!re) return 'File name is not allowed (invalid name rule in storage policy)';
    const matched = re.test(name);
    if (s.is_name_regexp_deny_list ? matched : !matched) return 'File name is not allowed';
  }
  return undefined;
}

/** Throws 40052 when the storage policy does not accept a file named `name`. */
export function assertPolicyAllowsName(name: string, s: PolicyNameSettings): void {
  const problem = policyNameViolation(name, s);
  if (problem) throw new AppError(Code.IllegalObjectName, problem);
}
