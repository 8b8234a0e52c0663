// Compiled by .ci/sdk/run (tsc --strict, noUncheckedIndexedAccess) against the client
// openapi-generator's typescript-fetch generates from openapi.json. Nothing here runs.
import {
  AvatarsApi,
  type AvatarView,
  Configuration,
  type Problem,
  ProblemFromJSON,
  ResponseError,
} from "./index";

export async function journey(basePath: string, token: string): Promise<void> {
  const avatars = new AvatarsApi(new Configuration({ basePath, accessToken: token }));

  // Raw: the typed value plus the Response (its headers untyped).
  const created = await avatars.createAvatarRaw({
    createAvatarRequest: { name: "Ada Lovelace", color: "#3A7BD5" },
    idempotencyKey: crypto.randomUUID(),
  });
  const avatar: AvatarView = await created.value();
  const location: string | null = created.raw.headers.get("Location");

  const page = await avatars.listAvatars({ ownerId: avatar.owner.id, limit: 2 });
  const first = page.data[0];
  if (page.meta.nextCursor) await avatars.listAvatars({ limit: 2, cursor: page.meta.nextCursor });

  try {
    await avatars.updateAvatar({ avatarId: avatar.id, updateAvatarRequest: { name: "Ada" }, ifMatch: first?.etag ?? avatar.etag });
  } catch (error) {
    // A non-2xx answer is thrown as a ResponseError; its problem is read from the response.
    if (error instanceof ResponseError && error.response.status === 412) {
      const problem: Problem = ProblemFromJSON(await error.response.json());
      void problem.code;
    } else {
      throw error;
    }
  }

  const image: Blob = await avatars.getAvatarImage({ avatarId: avatar.id });
  void [location, image.size];
}
