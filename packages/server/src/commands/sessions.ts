import { loadConfig } from '../config.js';
import { type SessionWire, sessionToWire } from '../http/wire.js';
import { AdminApi } from './admin-api.js';
import { parseCommand } from './args.js';
import { withStorage } from './database.js';
import { terminalJson, terminalText } from './terminal-text.js';
import { USAGE } from './usage.js';

/**
 * `revocable sessions list <sub> [--json]`: a user's live sessions, newest first, from the database
 * or a running service (`--url`); `--json` prints them in the admin API's wire form.
 *
 * @example
 * ```ts
 * await sessionsList(['u-42', '--database', './revocable.db']);
 * ```
 */
export async function sessionsList(argv: readonly string[]): Promise<void> {
  const { args, flags, serviceArgs } = parseCommand(argv, {
    usage: USAGE.sessionsList,
    positionals: ['sub'],
    flags: { url: 'value', json: 'switch' },
  });
  const sub = args['sub']!;
  const config = loadConfig(serviceArgs, process.env);
  const url = flags['url'];
  const sessions =
    typeof url === 'string'
      ? (
          await (
            await AdminApi.connect(url, config, USAGE.sessionsList)
          ).call<{ sessions: SessionWire[] }>('GET', `/admin/users/${encodeURIComponent(sub)}/sessions`)
        ).sessions
      : (await withStorage(config, USAGE.sessionsList, (s) => s.sessions.listSessions(sub))).map(
          sessionToWire,
        );
  if (flags['json'] === true) {
    process.stdout.write(`${terminalJson({ sessions })}\n`);
    return;
  }
  if (sessions.length === 0) {
    process.stdout.write(`No live sessions for ${terminalText(sub)}.\n`);
    return;
  }
  for (const s of sessions) {
    const fields = [
      s.id,
      s.client_id,
      `created ${s.created_at}`,
      `last seen ${s.last_seen_at}`,
      `expires ${s.expires_at}`,
      `ip ${s.ip ?? '-'}`,
      s.device ?? '-',
    ];
    process.stdout.write(`${terminalText(fields.join('  '))}\n`);
  }
}
