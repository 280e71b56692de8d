// The AI variables of the configuration: the chain's order, and the Gemini key kept secret.
import { inspect } from 'node:util';
import test from 'ava';
import { ConfigError, loadConfig } from '../../infrastructure/config.js';

const KEY = 'chorus-config-test-key-9Xw';

test('without settings the chain is the local provider alone', (t) => {
  t.like(loadConfig({}), { aiProviders: ['local'], gemini: undefined });
});

test('a Gemini key puts gemini first unless CHORUS_AI_PROVIDERS says otherwise', (t) => {
  const config = loadConfig({ GEMINI_API_KEY: KEY });
  t.deepEqual(config.aiProviders, ['gemini', 'local']);
  t.is(config.gemini?.apiKey.reveal(), KEY);
  t.like(config.gemini, { model: 'gemini-2.0-flash', baseUrl: undefined });
  t.deepEqual(loadConfig({ GEMINI_API_KEY: KEY, CHORUS_AI_PROVIDERS: 'local' }).aiProviders, ['local']);
  t.deepEqual(loadConfig({ GEMINI_API_KEY: KEY, CHORUS_AI_PROVIDERS: ' local , gemini ' }).aiProviders, ['local', 'gemini']);
  t.deepEqual(loadConfig({ GEMINI_API_KEY: KEY, CHORUS_AI_PROVIDERS: 'gemini' }).aiProviders, ['gemini']);
});

test('model and base URL are taken as given, the URL without its trailing slash', (t) => {
  const config = loadConfig({ GEMINI_API_KEY: KEY, GEMINI_MODEL: 'gemini-2.5-pro', GEMINI_BASE_URL: 'http://127.0.0.1:9999/' });
  t.like(config.gemini, { model: 'gemini-2.5-pro', baseUrl: 'http://127.0.0.1:9999' });
});

test('a chain the configuration cannot build is refused at start-up', (t) => {
  t.throws(() => loadConfig({ CHORUS_AI_PROVIDERS: 'gemini,local' }), { instanceOf: ConfigError, message: /GEMINI_API_KEY: required when CHORUS_AI_PROVIDERS names gemini/ });
  t.throws(() => loadConfig({ CHORUS_AI_PROVIDERS: 'openai' }), { instanceOf: ConfigError, message: /CHORUS_AI_PROVIDERS/ });
  t.throws(() => loadConfig({ CHORUS_AI_PROVIDERS: 'local,local' }), { instanceOf: ConfigError, message: /CHORUS_AI_PROVIDERS.*at most once/ });
  t.throws(() => loadConfig({ CHORUS_AI_PROVIDERS: ' , ' }), { instanceOf: ConfigError, message: /CHORUS_AI_PROVIDERS/ });
  t.throws(() => loadConfig({ GEMINI_API_KEY: KEY, GEMINI_MODEL: 'models/../x?y' }), { instanceOf: ConfigError, message: /GEMINI_MODEL/ });
  t.throws(() => loadConfig({ GEMINI_API_KEY: KEY, GEMINI_BASE_URL: 'ftp://gemini.internal' }), { instanceOf: ConfigError, message: /GEMINI_BASE_URL/ });
});

test('the key is never echoed: not by a refusal, not by a logged or serialised configuration', (t) => {
  const badKey = `${KEY} with spaces`;
  const error = t.throws(() => loadConfig({ GEMINI_API_KEY: badKey }), { instanceOf: ConfigError, message: /GEMINI_API_KEY/ });
  t.false(error.message.includes(KEY));

  const config = loadConfig({ GEMINI_API_KEY: KEY });
  for (const text of [JSON.stringify(config), inspect(config, { depth: 10 }), String(config.gemini?.apiKey), `${JSON.stringify({ key: config.gemini?.apiKey })}`]) {
    t.false(text.includes(KEY), text);
  }
});
