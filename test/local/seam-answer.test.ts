import { emptyAnswer, jsonAnswer } from '../../local/seam-answer';

describe('the answer the storage and queue seams give the SDK', () => {
  it('reads as a fetch Response would: status, ok, statusText, headers by any case, the body once', async () => {
    const answer = jsonAnswer(404, { code: 'KEY_NOT_FOUND', message: 'key "ü" not found' }, 'Not Found');
    expect([answer.status, answer.ok, answer.statusText]).toEqual([404, false, 'Not Found']);
    expect(answer.headers.get('Content-Type')).toBe('application/json');
    expect(answer.headers.get('forge-proxy-error')).toBeNull();
    const text = JSON.stringify({ code: 'KEY_NOT_FOUND', message: 'key "ü" not found' });
    // Bytes, not characters: "ü" is two.
    expect(answer.headers.get('content-length')).toBe(String(text.length + 1));
    expect(answer.bodyUsed).toBe(false);
    await expect(answer.json()).resolves.toEqual({ code: 'KEY_NOT_FOUND', message: 'key "ü" not found' });
    expect(answer.bodyUsed).toBe(true);
    await expect(answer.text()).rejects.toThrow(TypeError);
  });

  it('an empty answer has an empty body, of length 0', async () => {
    const answer = emptyAnswer();
    expect([answer.status, answer.ok, answer.headers.get('content-length')]).toEqual([204, true, '0']);
    await expect(answer.text()).resolves.toBe('');
  });
});
