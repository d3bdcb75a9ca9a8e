import { Type, type Static } from '@sinclair/typebox';

/** Wire objects of 10-site-session-user.md. Optional = omitted when empty (Go omitempty). */
export const GroupSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  permission: Type.Optional(Type.String()),
  direct_link_batch_size: Type.Optional(Type.Integer()),
  trash_retention: Type.Optional(Type.Integer()),
});
export type Group = Static<typeof GroupSchema>;

export const PinedFileSchema = Type.Object({ uri: Type.String(), name: Type.Optional(Type.String()) });

export const UserSchema = Type.Object({
  id: Type.String(),
  email: Type.Optional(Type.String()),
  nickname: Type.String(),
  status: Type.Optional(Type.String()),
  avatar: Type.Optional(Type.String()),
  created_at: Type.String(),
  preferred_theme: Type.Optional(Type.String()),
  anonymous: Type.Optional(Type.Boolean()),
  group: Type.Optional(GroupSchema),
  pined: Type.Optional(Type.Array(PinedFileSchema)),
  language: Type.Optional(Type.String()),
  disable_view_sync: Type.Optional(Type.Boolean()),
  share_links_in_profile: Type.Optional(Type.String()),
  credit: Type.Optional(Type.Integer()),
});
export type User = Static<typeof UserSchema>;

export const TokenSchema = Type.Object({
  access_token: Type.String(),
  refresh_token: Type.String(),
  access_expires: Type.String(),
  refresh_expires: Type.String(),
});
export type Token = Static<typeof TokenSchema>;

export const LoginResponseSchema = Type.Object({ user: UserSchema, token: TokenSchema });
export type LoginResponse = Static<typeof LoginResponseSchema>;

export const PrepareLoginResponseSchema = Type.Object({
  webauthn_enabled: Type.Boolean(),
  password_enabled: Type.Boolean(),
  sso_enabled: Type.Optional(Type.Boolean()),
  qq_enabled: Type.Optional(Type.Boolean()),
});

export const CaptchaResponseSchema = Type.Object({ image: Type.String(), ticket: Type.String() });

export const CapacitySchema = Type.Object({ total: Type.Integer(), used: Type.Integer() });
export type Capacity = Static<typeof CapacitySchema>;

export const PasskeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String(),
  used_at: Type.Optional(Type.String()),
});

export const UserSettingsSchema = Type.Object({
  version_retention_enabled: Type.Boolean(),
  version_retention_ext: Type.Optional(Type.Array(Type.String())),
  version_retention_max: Type.Optional(Type.Integer()),
  passwordless: Type.Optional(Type.Boolean()),
  two_fa_enabled: Type.Optional(Type.Boolean()),
  passkeys: Type.Optional(Type.Array(PasskeySchema)),
  disable_view_sync: Type.Boolean(),
  share_links_in_profile: Type.String(),
});
