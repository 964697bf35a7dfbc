/**
 * Output of an RA session (`sp`, `demo`): the message transcript (direction, type, size, time) and
 * the human report of the SP's verdict.
 *
 * @module
 */
import type { RaMessageInfo } from '../transport/ra-session.ts';
import { type Painter, renderChecks, renderEar, renderFacts, type SpJson } from './output.ts';

/** One transcript line of `demo --json` (issue 3 "CLI"). */
export interface MessageJson {
  readonly direction: 'sp->app' | 'app->sp';
  readonly type: string;
  readonly bytes: number;
  readonly ms: number;
}

/** The seed's message names as the transcript prints them (PROTOCOL-SEED.md §2.3, §4.1). */
const DISPLAY_NAMES: Readonly<Record<string, string>> = {
  RA_VERIFICATION: 'RA_VERIFICATION',
  RA_MSG0: 'MSG0',
  RA_MSG1: 'MSG1',
  RA_MSG2: 'MSG2',
  RA_MSG3: 'MSG3',
  RA_ATT_RESULT: 'ATT_RESULT',
  RA_APP_ATT_OK: 'APP_ATT_OK',
};

/** The SP's transcript as `messages` (the SP sends `sp->app`, receives `app->sp`). */
export function messagesJson(messages: readonly RaMessageInfo[]): MessageJson[] {
  return messages.map((m) => ({
    direction: m.direction === 'sent' ? 'sp->app' : 'app->sp',
    type: DISPLAY_NAMES[m.typeName] ?? `TYPE_${m.type}`,
    bytes: m.bytes,
    ms: m.ms,
  }));
}

/** One transcript line for people. */
export function renderMessage(p: Painter, m: MessageJson): string {
  const arrow = m.direction === 'sp->app' ? 'SP  → App' : 'App → SP ';
  return `  ${p.dim(arrow)}  ${m.type.padEnd(16)} ${String(m.bytes).padStart(6)} B  ${p.dim(`${m.ms.toFixed(1)} ms`)}`;
}

/** The human report of an SP session: transcript, checks with ✓/✗, facts, verdict. */
export function renderSpReport(
  p: Painter,
  title: string,
  out: SpJson,
  messages: readonly MessageJson[],
): string {
  const verdict =
    out.trusted && out.secretDelivered
      ? p.ok('TRUSTED, secret delivered')
      : out.trusted
        ? p.bad('trusted, but the secret was not confirmed')
        : out.verified
          ? p.bad('REFUSED by policy')
          : p.bad('NOT TRUSTED');
  const lines = [p.bold(title)];
  if (messages.length > 0) lines.push(...messages.map((m) => renderMessage(p, m)));
  const checks = renderChecks(p, out.steps, out.error);
  if (checks !== '') lines.push(checks);
  const facts = renderFacts(p, out);
  if (facts !== '') lines.push(facts);
  if (out.quoteType !== undefined) {
    lines.push(
      `  ${p.dim('quote'.padEnd(14))} ${out.quoteType}${out.iasStatus === undefined ? '' : ` (IAS ${out.iasStatus})`}`,
    );
  }
  if (out.ear !== undefined) lines.push(renderEar(p, out.ear));
  lines.push(`${p.bold('verdict')}: ${verdict}`);
  return `${lines.join('\n')}\n`;
}
