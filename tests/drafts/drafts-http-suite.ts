// The drafts API end to end (but the dashboard): a real server on an ephemeral port, a real HTTP client. DFNs and
// evaluations are appended straight to the store, as the enrichers would. Serial, so lists are exact.
import test, { type ExecutionContext } from 'ava';
import { v7 as uuidv7 } from 'uuid';
import {
  DRAFT_TEXT_MAX_LENGTH,
  draftExternalIdStreamId,
  draftStreamId,
  speakerExternalIdStreamId,
  speakerStreamId,
  type DfnGenerated,
  type EvaluationCompleted,
  type ExternalIdClaimed,
  type SpeakerBucketRecommended,
} from '../../domain/drafts/events.js';
import { contexts } from '../../api/contexts.js';
import { DRAFT_BODY_MAX_BYTES } from '../../api/http/drafts.js';
import { metadata } from '../support/events.js';
import { HttpSpecification, type HttpEnvironment, type Reply } from '../support/http-specification.js';

export type Profile = Readonly<{ name: string; env(): Promise<HttpEnvironment> }>;

export function draftsHttpSuite(profile: Profile): void {
  const { call, when, expect, chorus } = HttpSpecification({
    environment: () => profile.env(),
    // DFNs and evaluations are appended here by hand, so the drafts enrichers that would append their own stay off
    // (tests/drafts/drafts-flow-*.e2e runs them).
    contexts: contexts.map((hosted) => (hosted.name === 'drafts' ? { ...hosted, enrichers: () => [] } : hosted)),
    config: { CHORUS_MIN_POSITION_TIMEOUT_MS: '5000', CHORUS_POLL_INTERVAL_MS: '100' },
    as: ['agent'],
  });
  const it = (title: string, body: (t: ExecutionContext) => Promise<void>) => test.serial(`${profile.name}: ${title}`, body);

  const store = () => chorus().system.store;
  const after = (reply: Reply) => ({ headers: { 'X-Chorus-Min-Position': reply.body.position as string } });
  const unique = (prefix: string) => `${prefix}-${uuidv7()}`;
  const speaker = (json: Record<string, unknown> = {}) => call('POST', '/v1/speakers', { json: { name: 'Dr Ada Lovelace', ...json } });
  const ingest = (speakerId: string, json: Record<string, unknown>) => call('POST', `/v1/speakers/${speakerId}/drafts`, { json });
  async function append(streamId: string, type: string, data: unknown): Promise<string> {
    const { position } = await store().append(streamId, [{ eventId: uuidv7(), type, data, metadata }], { expectedRevision: 'any' });
    return position;
  }

  it('POST /v1/speakers creates one in high_edit: 201, Location, ETag; GET shows it with empty aggregates and its history', async (t) => {
    const created = await speaker({ externalId: unique('spk'), specialty: ' cardiology ' });
    expect(t, created, { status: 201, headers: { location: `/v1/speakers/${created.body.id}`, etag: '"0"', 'x-chorus-position': created.body.position } });
    const read = await when('GET', `/v1/speakers/${created.body.id}`, after(created)).then(t, { status: 200 });
    t.like(read.body, {
      id: created.body.id,
      name: 'Dr Ada Lovelace',
      specialty: 'cardiology',
      bucket: 'high_edit',
      createdBy: 'as:agent',
      pendingRecommendation: null,
      aggregates: { drafts: 0, evaluatedDrafts: 0, meanRawWer: null, meanDfnWer: null, meanImprovement: null, lastActivityAt: null },
    });
    t.deepEqual(read.body.bucketHistory.map((h: { from: string | null; to: string }) => [h.from, h.to]), [[null, 'high_edit']]);
    const chosen = await speaker({ bucket: 'low_edit' });
    t.is((await call('GET', `/v1/speakers/${chosen.body.id}`, after(chosen))).body.bucket, 'low_edit');
  });

  it('bad speakers are refused with a code; a duplicate externalId is 409', async (t) => {
    const refuse = (json: unknown) => when('POST', '/v1/speakers', { json }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await refuse({ name: '' });
    await refuse({ name: '   ' });
    await refuse({ name: 'x'.repeat(201) });
    await refuse({ name: 'A', bucket: 'some_edit' });
    await refuse({ name: 'A', externalId: '' });
    await refuse({ name: 'A', externalId: 'a\nb' });
    await refuse({ name: 'A', externalId: 'x'.repeat(201) });
    await refuse({ name: 'A', surprise: true });
    await refuse({ name: 7 });
    const externalId = unique('dup');
    await when('POST', '/v1/speakers', { json: { name: 'First', externalId } }).then(t, { status: 201 });
    await when('POST', '/v1/speakers', { json: { name: 'Second', externalId } }).then(t, { status: 409, code: 'SPEAKER.EXTERNAL_ID_TAKEN' });
    await when('POST', '/v1/speakers', { json: { name: 'Third', externalId: ` ${externalId} ` } }).then(t, { status: 409, code: 'SPEAKER.EXTERNAL_ID_TAKEN' });
  });

  it('two creations with one externalId at once: one 201, one 409', async (t) => {
    const externalId = unique('race');
    const replies = await Promise.all([speaker({ externalId, name: 'One' }), speaker({ externalId, name: 'Two' })]);
    t.deepEqual(replies.map((reply) => reply.status).sort(), [201, 409]);
    const winner = replies.find((reply) => reply.status === 201)!;
    const list = await call('GET', `/v1/speakers?q=${encodeURIComponent(externalId)}`, after(winner));
    t.deepEqual(list.body.items.map((item: { id: string }) => item.id), [winner.body.id]);
  });

  it('a claim whose speaker was never created (its process died) is taken by the next creation: nothing stays locked', async (t) => {
    const externalId = unique('orphan');
    const orphan = uuidv7();
    await append(speakerExternalIdStreamId(externalId), 'ExternalIdClaimed', { externalId, ownerId: orphan, at: new Date().toISOString() } satisfies ExternalIdClaimed['data']);
    const created = await when('POST', '/v1/speakers', { json: { name: 'Late', externalId } }).then(t, { status: 201, body: { id: orphan } });
    t.like((await call('GET', `/v1/speakers/${orphan}`, after(created))).body, { name: 'Late', externalId });
    await when('POST', '/v1/speakers', { json: { name: 'Later', externalId } }).then(t, { status: 409, code: 'SPEAKER.EXTERNAL_ID_TAKEN' });
  });

  it('POST /v1/speakers/:id/bucket reassigns with from, to, reason and who; the same bucket is 409; If-Match is honoured', async (t) => {
    const created = await speaker();
    const id = created.body.id as string;
    const moved = await when('POST', `/v1/speakers/${id}/bucket`, { json: { bucket: 'medium_edit', reason: 'Fewer edits lately' }, as: ['operator'] }).then(t, {
      status: 200,
      body: { id, revision: 1 },
      headers: { etag: '"1"' },
    });
    await when('POST', `/v1/speakers/${id}/bucket`, { json: { bucket: 'medium_edit', reason: 'again' } }).then(t, { status: 409, code: 'SPEAKER.SAME_BUCKET' });
    await when('POST', `/v1/speakers/${id}/bucket`, { json: { bucket: 'low_edit', reason: 'stale', }, headers: { 'If-Match': '"0"' } }).then(t, { status: 412 });
    await when('POST', `/v1/speakers/${id}/bucket`, { json: { bucket: 'low_edit', reason: '' } }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('POST', `/v1/speakers/${id}/bucket`, { json: { bucket: 'top_edit', reason: 'x' } }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('POST', `/v1/speakers/${uuidv7()}/bucket`, { json: { bucket: 'low_edit', reason: 'x' } }).then(t, { status: 404, code: 'SPEAKER.NOT_FOUND' });
    await when('POST', '/v1/speakers/not-a-uuid/bucket', { json: { bucket: 'low_edit', reason: 'x' } }).then(t, { status: 404, code: 'SPEAKER.NOT_FOUND' });
    const read = await call('GET', `/v1/speakers/${id}`, after(moved));
    t.is(read.body.bucket, 'medium_edit');
    t.like(read.body.bucketHistory[1], { from: 'high_edit', to: 'medium_edit', reason: 'Fewer edits lately', by: 'as:operator' });
  });

  it('a recommendation shows as pending until a reassignment accepts it', async (t) => {
    const created = await speaker();
    const id = created.body.id as string;
    const data: SpeakerBucketRecommended['data'] = { speakerId: id, from: 'high_edit', to: 'low_edit', meanRawWer: 0.08, window: 20, evaluationIds: ['e1'], at: new Date().toISOString() };
    const position = await append(speakerStreamId(id), 'SpeakerBucketRecommended', data);
    const read = await call('GET', `/v1/speakers/${id}`, { headers: { 'X-Chorus-Min-Position': position } });
    t.like(read.body, { bucket: 'high_edit', pendingRecommendation: { to: 'low_edit', meanRawWer: 0.08 } });
    const accepted = await when('POST', `/v1/speakers/${id}/bucket`, { json: { bucket: 'low_edit', reason: 'Recommended' } }).then(t, { status: 200, body: { revision: 2 } });
    t.like((await call('GET', `/v1/speakers/${id}`, after(accepted))).body, { bucket: 'low_edit', pendingRecommendation: null });
  });

  it('GET /v1/speakers filters by bucket and by a plain substring of name or externalId, a cursor page at a time', async (t) => {
    const tag = uuidv7().slice(-8);
    const made: Reply[] = [];
    for (const [name, bucket] of [[`Ana 100%_${tag}`, 'no_edit'], [`Ben ${tag}`, 'no_edit'], [`Cy ${tag}`, 'low_edit']] as const) made.push(await speaker({ name, bucket }));
    const last = made[made.length - 1]!;
    const page1 = await when('GET', `/v1/speakers?q=${tag}&limit=2`, after(last)).then(t, { status: 200 });
    t.deepEqual(page1.body.items.map((s: { name: string }) => s.name), [`Cy ${tag}`, `Ben ${tag}`]);
    const page2 = await call('GET', `/v1/speakers?q=${tag}&limit=2&cursor=${page1.body.nextCursor}`);
    t.deepEqual(page2.body.items.map((s: { name: string }) => s.name), [`Ana 100%_${tag}`]);
    t.is(page2.body.nextCursor, null);
    const noEdit = await call('GET', `/v1/speakers?q=${tag}&bucket=no_edit`);
    t.deepEqual(noEdit.body.items.map((s: { name: string }) => s.name), [`Ben ${tag}`, `Ana 100%_${tag}`]);
    // Wildcards are plain characters: % matches only a %.
    t.deepEqual((await call('GET', `/v1/speakers?q=${encodeURIComponent(`100%_${tag}`)}`)).body.items.map((s: { name: string }) => s.name), [`Ana 100%_${tag}`]);
    t.deepEqual((await call('GET', `/v1/speakers?q=${encodeURIComponent(`%${tag}`)}`)).body.items, []);
    t.deepEqual((await call('GET', `/v1/speakers?q=${tag.toUpperCase()}&bucket=low_edit`)).body.items.map((s: { name: string }) => s.name), [`Cy ${tag}`]);
  });

  it('hostile queries, paths and cursors get 400 or 404 with a code, never a 500', async (t) => {
    const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const badCursors = [cursorOf(['2026-01-01T00:00:00.000Z', 'not-a-uuid']), cursorOf(['yesterday', uuidv7()]), cursorOf({}), 'bm9wZQ', "'; drop table drafts; --"];
    for (const cursor of badCursors) {
      await when('GET', `/v1/speakers?cursor=${encodeURIComponent(cursor)}`).then(t, { status: 400, code: 'QUERY.INVALID_CURSOR' });
      await when('GET', `/v1/drafts?cursor=${encodeURIComponent(cursor)}`).then(t, { status: 400, code: 'QUERY.INVALID_CURSOR' });
    }
    await when('GET', '/v1/speakers?q=%00').then(t, { status: 400, code: 'HTTP.UNSUPPORTED_CHARACTER' });
    await when('GET', `/v1/speakers?q=${'a'.repeat(201)}`).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/speakers?bucket=all').then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/speakers?limit=0').then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/speakers?limit=101').then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/drafts?status=done').then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', '/v1/drafts?surprise=1').then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', `/v1/drafts?speakerId=${'9'.repeat(101)}`).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('GET', "/v1/drafts?speakerId=1' or '1'='1").then(t, { status: 200, body: { items: [], nextCursor: null } });
    await when('GET', '/v1/drafts/not-a-uuid').then(t, { status: 404, code: 'DRAFT.NOT_FOUND' });
    await when('GET', '/v1/drafts/%00').then(t, { status: 400, code: 'HTTP.UNSUPPORTED_CHARACTER' });
    await when('GET', `/v1/drafts/${uuidv7()}`).then(t, { status: 404, code: 'DRAFT.NOT_FOUND' });
    await when('GET', '/v1/speakers/12345').then(t, { status: 404, code: 'SPEAKER.NOT_FOUND' });
    await when('GET', `/v1/speakers/${uuidv7()}`).then(t, { status: 404, code: 'SPEAKER.NOT_FOUND' });
    await when('POST', '/v1/drafts/not-a-uuid/final-note', { json: { text: 'x' } }).then(t, { status: 404, code: 'DRAFT.NOT_FOUND' });
    await when('POST', '/v1/speakers/not-a-uuid/drafts', { json: { externalId: 'x', text: 'x' } }).then(t, { status: 404, code: 'SPEAKER.NOT_FOUND' });
    await when('GET', '/v1/speakers', { headers: { 'X-Chorus-Min-Position': 'nope' } }).then(t, { status: 400, code: 'REQUEST.INVALID_POSITION' });
  });

  it('POST /v1/speakers/:id/drafts ingests: 201, Location; the same externalId and text again answers the same; other text is 409', async (t) => {
    const { body: { id: speakerId } } = await speaker();
    const externalId = unique('dict');
    const draft = { externalId, text: 'patient presents with chest pain period new paragraph', recordedAt: '2026-11-30T08:15:00+01:00', metadata: { device: 'mic-7', tags: ['er'] } };
    const first = await ingest(speakerId, draft);
    expect(t, first, { status: 201, headers: { location: `/v1/drafts/${first.body.id}`, etag: '"0"' } });
    const again = await ingest(speakerId, { ...draft, recordedAt: null });
    expect(t, again, { status: 201, headers: { location: `/v1/drafts/${first.body.id}` } });
    t.deepEqual(again.body, first.body);
    await when('POST', `/v1/speakers/${speakerId}/drafts`, { json: { ...draft, text: 'something else' } }).then(t, { status: 409, code: 'DRAFT.EXTERNAL_ID_CONFLICT' });
    const read = await when('GET', `/v1/drafts/${first.body.id}`, after(first)).then(t, { status: 200 });
    t.like(read.body, {
      id: first.body.id, speakerId, externalId, text: draft.text, status: 'ingested', recordedAt: '2026-11-30T07:15:00.000Z', metadata: draft.metadata,
      dfn: null, finalNote: null, evaluations: [], latestEvaluation: null, finalNotes: 0, revision: 0,
    });
    t.regex(read.body.textHash, /^[0-9a-f]{64}$/);
    // The same externalId under another speaker is another draft.
    const { body: { id: otherSpeaker } } = await speaker();
    const other = await when('POST', `/v1/speakers/${otherSpeaker}/drafts`, { json: draft }).then(t, { status: 201 });
    t.not(other.body.id, first.body.id);
  });

  it('bad drafts: unknown speaker 404, empty or oversized text 400, too large a body 413, each with a code', async (t) => {
    const { body: { id: speakerId } } = await speaker();
    await when('POST', `/v1/speakers/${uuidv7()}/drafts`, { json: { externalId: 'a', text: 'b' } }).then(t, { status: 404, code: 'SPEAKER.NOT_FOUND' });
    const refuse = (json: unknown, code: string) => when('POST', `/v1/speakers/${speakerId}/drafts`, { json }).then(t, { status: 400, code });
    await refuse({ externalId: 'a', text: '' }, 'REQUEST.INVALID');
    await refuse({ externalId: 'a', text: ' \n\t ' }, 'DRAFT.EMPTY_TEXT');
    await refuse({ text: 'x' }, 'REQUEST.INVALID');
    await refuse({ externalId: 'a', text: 'x', recordedAt: 'yesterday' }, 'REQUEST.INVALID');
    await refuse({ externalId: 'a', text: 'x', metadata: [1, 2] }, 'REQUEST.INVALID');
    await refuse({ externalId: 'a', text: 'x', metadata: { big: 'y'.repeat(20_000) } }, 'REQUEST.INVALID');
    await refuse({ externalId: 'a', text: 'x'.repeat(DRAFT_TEXT_MAX_LENGTH + 1) }, 'DRAFT.TEXT_TOO_LONG');
    await refuse({ externalId: 'a', text: '😀'.repeat(DRAFT_TEXT_MAX_LENGTH + 1) }, 'DRAFT.TEXT_TOO_LONG');
    await when('POST', `/v1/speakers/${speakerId}/drafts`, { raw: JSON.stringify({ externalId: 'a', text: 'x'.repeat(DRAFT_BODY_MAX_BYTES) }), headers: { 'content-type': 'application/json' } })
      .then(t, { status: 413, code: 'HTTP.BODY_TOO_LARGE' });
    // A refused draft claimed nothing: the externalId is still free.
    await when('POST', `/v1/speakers/${speakerId}/drafts`, { json: { externalId: 'a', text: 'fine' } }).then(t, { status: 201 });
  });

  it('100k characters of multi-byte Unicode, escaped or not, and special characters round-trip exactly', async (t) => {
    const { body: { id: speakerId } } = await speaker();
    const texts = [
      '😀'.repeat(DRAFT_TEXT_MAX_LENGTH),
      'Ünïcödé 中文 العربية עברית 👩‍⚕️ e\u0301 "quotes" \\back\\slash\\ \'single\' <b>&amp;</b> %s ${x} \r\n\ttab\u200b\u2028 ∑∞ 𝕏 \' or 1=1; --',
      '日本語のテキスト'.repeat(DRAFT_TEXT_MAX_LENGTH / 8),
    ];
    for (const [index, text] of texts.entries()) {
      const externalId = unique(`unicode-${index}`);
      // The first as JSON escapes (\ud83d\ude00: 12 bytes a character), the others as UTF-8.
      const raw = index === 0 ? JSON.stringify({ externalId, text }).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : JSON.stringify({ externalId, text });
      const created = await when('POST', `/v1/speakers/${speakerId}/drafts`, { raw, headers: { 'content-type': 'application/json' } }).then(t, { status: 201 });
      const read = await call('GET', `/v1/drafts/${created.body.id}`, after(created));
      t.true(read.body.text === text, `text ${index} round-trips exactly`);
      const noted = await when('POST', `/v1/drafts/${created.body.id}/final-note`, { json: { text } }).then(t, { status: 200 });
      t.true((await call('GET', `/v1/drafts/${created.body.id}`, after(noted))).body.finalNote.text === text, `final note ${index} round-trips exactly`);
    }
  });

  it('two ingestions of one externalId at once make one draft, and both answer with it', async (t) => {
    const { body: { id: speakerId } } = await speaker();
    const externalId = unique('twice');
    const replies = await Promise.all([ingest(speakerId, { externalId, text: 'same text' }), ingest(speakerId, { externalId, text: 'same text' })]);
    for (const reply of replies) expect(t, reply, { status: 201 });
    t.deepEqual(replies[0]!.body, replies[1]!.body);
    const list = await call('GET', `/v1/drafts?speakerId=${speakerId}`, after(replies[0]!));
    t.deepEqual(list.body.items.map((d: { id: string }) => d.id), [replies[0]!.body.id]);
    // With different texts at once: one is ingested, the other is a conflict.
    const contested = unique('contested');
    const rivals = await Promise.all([ingest(speakerId, { externalId: contested, text: 'one text' }), ingest(speakerId, { externalId: contested, text: 'another text' })]);
    t.deepEqual(rivals.map((reply) => reply.status).sort(), [201, 409]);
    t.is(rivals.find((reply) => reply.status === 409)!.body.code, 'DRAFT.EXTERNAL_ID_CONFLICT');
  });

  it('a claim whose draft was never ingested (its process died) is completed by the next ingestion', async (t) => {
    const { body: { id: speakerId } } = await speaker();
    const externalId = unique('orphan-draft');
    const orphan = uuidv7();
    await append(draftExternalIdStreamId(speakerId, externalId), 'ExternalIdClaimed', { externalId, ownerId: orphan, at: new Date().toISOString() } satisfies ExternalIdClaimed['data']);
    const created = await when('POST', `/v1/speakers/${speakerId}/drafts`, { json: { externalId, text: 'recovered' } }).then(t, { status: 201, body: { id: orphan, revision: 0 } });
    t.like((await call('GET', `/v1/drafts/${orphan}`, after(created))).body, { text: 'recovered', externalId });
  });

  it('final notes: before the DFN, replaced by a second; DFN and evaluations appended by the enrichers show in the draft, the list and the speaker', async (t) => {
    const { body: { id: speakerId } } = await speaker();
    const draft = await ingest(speakerId, { externalId: unique('flow'), text: 'um the patient is stable period' });
    const id = draft.body.id as string;
    await when('POST', `/v1/drafts/${id}/final-note`, { json: { text: '' } }).then(t, { status: 400, code: 'REQUEST.INVALID' });
    await when('POST', `/v1/drafts/${uuidv7()}/final-note`, { json: { text: 'x' } }).then(t, { status: 404, code: 'DRAFT.NOT_FOUND' });
    const noted = await when('POST', `/v1/drafts/${id}/final-note`, { json: { text: 'The patient is stable.' } }).then(t, { status: 200, body: { id, revision: 1 } });
    const same = await when('POST', `/v1/drafts/${id}/final-note`, { json: { text: 'The patient is stable.' } }).then(t, { status: 200, body: { id, revision: 1 } });
    t.is(same.body.position, noted.body.position, 'the same note again changes nothing');
    t.like((await call('GET', `/v1/drafts/${id}`, after(noted))).body, { status: 'finalized', finalNote: { text: 'The patient is stable.', revision: 1, recordedBy: 'as:agent' } });

    const generatedAt = new Date().toISOString();
    const dfn: DfnGenerated['data'] = { draftId: id, speakerId, text: 'The patient is stable.', provider: 'local', model: 'corrections', retrieved: [uuidv7()], latencyMs: 3, generatedAt };
    await append(draftStreamId(id), 'DfnGenerated', dfn);
    const edits = { substitutions: 1, deletions: 1, insertions: 0, reference: 4 };
    const evaluation = (evaluationId: string, finalNoteRevision: number, rawWer: number, evaluatedAt = generatedAt): EvaluationCompleted['data'] => ({
      evaluationId, draftId: id, speakerId, bucket: 'high_edit', finalNoteRevision, rawWer, rawCer: 0.2, rawEdits: edits, dfnWer: 0, dfnCer: 0, dfnEdits: { ...edits, substitutions: 0, deletions: 0 },
      dfnRougeL: 1, improvement: rawWer, metricVersion: 1, evaluatedAt,
    });
    const evaluated = await append(draftStreamId(id), 'EvaluationCompleted', evaluation('eval-1', 1, 0.5));
    const read = await call('GET', `/v1/drafts/${id}`, { headers: { 'X-Chorus-Min-Position': evaluated } });
    t.like(read.body, { status: 'evaluated', dfn: { text: 'The patient is stable.', provider: 'local', model: 'corrections', latencyMs: 3, retrieved: dfn.retrieved }, latestEvaluation: { evaluationId: 'eval-1', rawWer: 0.5 } });
    t.like(read.body.evaluations, [{ evaluationId: 'eval-1', finalNoteRevision: 1, raw: { wer: 0.5, cer: 0.2, edits }, dfn: { wer: 0, rougeL: 1 }, improvement: 0.5, metricVersion: 1 }]);

    // A second final note: finalized again until its own evaluation; the first evaluation stays.
    const second = await when('POST', `/v1/drafts/${id}/final-note`, { json: { text: 'The patient is stable and well.' } }).then(t, { status: 200, body: { revision: 4 } });
    t.like((await call('GET', `/v1/drafts/${id}`, after(second))).body, { status: 'finalized', finalNote: { revision: 4, text: 'The patient is stable and well.' } });
    const listed = await call('GET', `/v1/drafts?speakerId=${speakerId}&status=finalized`, after(second));
    t.deepEqual(listed.body.items.map((d: { id: string }) => d.id), [id]);
    t.like(listed.body.items[0], { hasDfn: true, finalNotes: 2, status: 'finalized' });
    t.false('text' in listed.body.items[0], 'lists leave the texts out');
    // Its evaluation is the speaker's latest activity.
    const evaluatedAt = new Date(Date.now() + 60_000).toISOString();
    const reevaluated = await append(draftStreamId(id), 'EvaluationCompleted', evaluation('eval-2', 4, 0.25, evaluatedAt));
    const final = await call('GET', `/v1/drafts/${id}`, { headers: { 'X-Chorus-Min-Position': reevaluated } });
    t.like(final.body, { status: 'evaluated' });
    t.deepEqual(final.body.evaluations.map((e: { evaluationId: string }) => e.evaluationId), ['eval-1', 'eval-2']);
    const ofSpeaker = await call('GET', `/v1/speakers/${speakerId}`, { headers: { 'X-Chorus-Min-Position': reevaluated } });
    t.like(ofSpeaker.body.aggregates, { drafts: 1, evaluatedDrafts: 1, meanRawWer: 0.25, meanDfnWer: 0, meanImprovement: 0.25, lastActivityAt: evaluatedAt });
  });

  it('GET /v1/drafts filters by speaker and status, a cursor page at a time', async (t) => {
    const { body: { id: speakerId } } = await speaker();
    const made: Reply[] = [];
    for (const n of [1, 2, 3]) made.push(await ingest(speakerId, { externalId: unique(`page-${n}`), text: `draft ${n}` }));
    const noted = await call('POST', `/v1/drafts/${made[0]!.body.id}/final-note`, { json: { text: 'note' } });
    const page1 = await call('GET', `/v1/drafts?speakerId=${speakerId}&limit=2`, after(noted));
    t.deepEqual(page1.body.items.map((d: { id: string }) => d.id), [made[2]!.body.id, made[1]!.body.id]);
    const page2 = await call('GET', `/v1/drafts?speakerId=${speakerId.toUpperCase()}&limit=2&cursor=${page1.body.nextCursor}`);
    t.deepEqual(page2.body.items.map((d: { id: string }) => d.id), [made[0]!.body.id]);
    t.is(page2.body.nextCursor, null);
    t.deepEqual((await call('GET', `/v1/drafts?speakerId=${speakerId}&status=ingested`)).body.items.map((d: { id: string }) => d.id), [made[2]!.body.id, made[1]!.body.id]);
    t.deepEqual((await call('GET', `/v1/drafts?speakerId=${speakerId}&status=finalized`)).body.items.map((d: { id: string }) => d.id), [made[0]!.body.id]);
    t.deepEqual((await call('GET', `/v1/drafts?speakerId=${speakerId}&status=evaluated`)).body.items, []);
    t.deepEqual((await call('GET', `/v1/drafts?speakerId=${uuidv7()}`)).body.items, []);
  });

  it('viewers read every view but write nothing; members and anonymous callers get nothing', async (t) => {
    const created = await speaker();
    const draft = await ingest(created.body.id, { externalId: unique('roles'), text: 'x' });
    const reads = [`/v1/speakers/${created.body.id}`, '/v1/speakers', `/v1/drafts/${draft.body.id}`, '/v1/drafts'];
    for (const path of reads) {
      await when('GET', path, { as: ['viewer'], ...after(draft) }).then(t, { status: 200 });
      await when('GET', path, { as: ['member'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
      await when('GET', path, { as: 'anonymous' }).then(t, { status: 401, code: 'AUTH.REQUIRED' });
    }
    const writes: [string, unknown][] = [
      ['/v1/speakers', { name: 'V' }],
      [`/v1/speakers/${created.body.id}/bucket`, { bucket: 'low_edit', reason: 'x' }],
      [`/v1/speakers/${created.body.id}/drafts`, { externalId: 'v', text: 'x' }],
      [`/v1/drafts/${draft.body.id}/final-note`, { text: 'x' }],
    ];
    for (const [path, json] of writes) {
      await when('POST', path, { json, as: ['viewer'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
      await when('POST', path, { json, as: ['member'] }).then(t, { status: 403, code: 'AUTH.FORBIDDEN' });
    }
    for (const roles of [['operator'], ['admin']] as const) await when('POST', '/v1/speakers', { json: { name: 'W' }, as: roles }).then(t, { status: 201 });
  });

  it('Idempotency-Key: a retried creation answers as the first and creates nothing more', async (t) => {
    const key = { 'Idempotency-Key': unique('key') };
    const externalId = unique('idem');
    const first = await call('POST', '/v1/speakers', { json: { name: 'Idem', externalId }, headers: key });
    const retry = await call('POST', '/v1/speakers', { json: { name: 'Idem', externalId }, headers: key });
    expect(t, first, { status: 201 });
    expect(t, retry, { status: 201 });
    t.deepEqual(retry.body, first.body);
  });

  it('the drafts read model rebuilt from the log, and verified against it, holds the same rows (after every test above)', async (t) => {
    const { body: { id: speakerId } } = await speaker();
    const draft = await ingest(speakerId, { externalId: unique('rebuild'), text: 'to be rebuilt' });
    const before = (await call('GET', `/v1/speakers/${speakerId}`, after(draft))).body;
    const operator = { as: ['operator'] as const };
    await when('POST', '/v1/ops/projections/drafts/rebuild', operator).then(t, { status: 202 });
    let status = 'building';
    for (let attempt = 0; attempt < 300 && status === 'building'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await call('GET', '/v1/ops/projections/drafts', operator)).body.rebuild?.status as string;
    }
    t.is(status, 'completed');
    const started = await when('POST', '/v1/ops/projections/drafts/verify', operator).then(t, { status: 202 });
    let verified: Reply | undefined;
    for (let attempt = 0; attempt < 300 && (verified === undefined || verified.body.status === 'running'); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      verified = await call('GET', started.headers.get('location')!, operator);
    }
    t.like(verified?.body, { status: 'completed', equal: true, missing: 0, extra: 0, different: 0 });
    t.deepEqual((await call('GET', `/v1/speakers/${speakerId}`)).body, before);
  });
}
