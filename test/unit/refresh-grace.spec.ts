import { RefreshGraceService } from '../../src/auth/refresh-grace.service';
import { hashToken, IssuedTokens } from '../../src/auth/token.service';
import { loadConfig } from '../../src/config/app-config';
import { MemoryKvStore } from '../../src/store/memory-kv-store';

const successor: IssuedTokens = {
  access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.access-signature',
  refresh_token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyIn0.refresh-signature',
  token_type: 'Bearer',
  expires_in: 3600,
};
const rotated = 'eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJvbGQifQ.old-signature';

describe(RefreshGraceService.name, () => {
  let store: MemoryKvStore;
  let sut: RefreshGraceService;
  beforeEach(() => {
    store = new MemoryKvStore();
    sut = new RefreshGraceService(store, loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '10' }));
  });
  afterEach(() => store.onModuleDestroy());

  it('gives the kept pair back to the holder of the rotated token', async () => {
    await sut.keep(rotated, successor);
    await expect(sut.find(rotated)).resolves.toEqual(successor);
  });

  it('stores nothing readable under the rotated token’s hash', async () => {
    await sut.keep(rotated, successor);
    const stored = await store.get(`refresh:grace:${hashToken(rotated)}`);
    expect(stored).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    const raw = Buffer.from(stored!.slice(3), 'base64url').toString('latin1');
    expect(raw).not.toContain('signature');
    expect(raw).not.toContain('eyJ');
  });

  it('cannot be opened with the hash alone or after tampering', async () => {
    await sut.keep(rotated, successor);
    const key = `refresh:grace:${hashToken(rotated)}`;
    const stored = (await store.get(key))!;
    // Moved under another token's key: that token's key does not open it.
    const other = `${rotated}x`;
    await store.set(`refresh:grace:${hashToken(other)}`, stored, 10);
    await expect(sut.find(other)).resolves.toBeNull();
    // One flipped byte of the sealed data: refused, not garbage.
    const raw = Buffer.from(stored.slice(3), 'base64url');
    raw[raw.length - 1] ^= 1;
    await store.set(key, `v1.${raw.toString('base64url')}`, 10);
    await expect(sut.find(rotated)).resolves.toBeNull();
  });

  it('forgets the pair after the window', async () => {
    const short = new RefreshGraceService(store, loadConfig({ REFRESH_REUSE_GRACE_SECONDS: '1' }));
    await short.keep(rotated, successor);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expect(short.find(rotated)).resolves.toBeNull();
  });
});
