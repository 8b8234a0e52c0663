// Compiled by .ci/sdk/run (tsc --strict, noUncheckedIndexedAccess) against the fetch client
// orval generates from openapi.json (api.ts). Nothing here runs.
import {
  type AvatarView,
  createAvatar,
  getAvatarImage,
  listAvatars,
  type Problem,
  updateAvatar,
} from "./api";

export async function journey(): Promise<void> {
  // Request headers are typed parameters (headers: true).
  const created = await createAvatar({ name: "Ada Lovelace", color: "#3A7BD5" }, { "Idempotency-Key": crypto.randomUUID() });
  if (created.status !== 201) {
    const problem: Problem = created.data;
    throw new Error(`${problem.code}: ${problem.detail} (${problem.request_id})`);
  }
  const avatar: AvatarView = created.data;
  // Response headers: orval hands back the Headers object, untyped.
  const location: string | null = created.headers.get("Location");

  const page = await listAvatars({ owner_id: avatar.owner.id, limit: 2 });
  if (page.status === 200) {
    const first = page.data.data[0];
    const cursor = page.data.meta.next_cursor;
    if (cursor) await listAvatars({ limit: 2, cursor });
    if (first) {
      const updated = await updateAvatar(first.id, { name: "Ada" }, { "If-Match": first.etag });
      if (updated.status === 412) {
        const stale: Problem = updated.data;
        void stale.code;
      }
    }
  }

  const image = await getAvatarImage(avatar.id);
  if (image.status === 200) {
    const svg: Blob = image.data;
    const cached = await getAvatarImage(avatar.id, { "If-None-Match": image.headers.get("ETag") ?? "" });
    void [svg, cached.status === 304];
  }
  void location;
}
