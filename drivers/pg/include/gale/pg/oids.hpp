// Type OIDs of PostgreSQL's built-in types (pg_type.oid; fixed across versions).
#pragma once

#include <cstdint>

namespace gale::pg::oid {

using Oid = unsigned int;

inline constexpr Oid unknown = 0;
inline constexpr Oid bool_ = 16;
inline constexpr Oid bytea = 17;
inline constexpr Oid char_ = 18;
inline constexpr Oid name = 19;
inline constexpr Oid int8 = 20;
inline constexpr Oid int2 = 21;
inline constexpr Oid int4 = 23;
inline constexpr Oid text = 25;
inline constexpr Oid oid = 26;
inline constexpr Oid xid = 28;
inline constexpr Oid json = 114;
inline constexpr Oid float4 = 700;
inline constexpr Oid float8 = 701;
inline constexpr Oid money = 790;
inline constexpr Oid bpchar = 1042;
inline constexpr Oid varchar = 1043;
inline constexpr Oid date = 1082;
inline constexpr Oid time = 1083;
inline constexpr Oid timestamp = 1114;
inline constexpr Oid timestamptz = 1184;
inline constexpr Oid interval = 1186;
inline constexpr Oid timetz = 1266;
inline constexpr Oid numeric = 1700;
inline constexpr Oid uuid = 2950;
inline constexpr Oid jsonb = 3802;

inline constexpr Oid bool_array = 1000;
inline constexpr Oid bytea_array = 1001;
inline constexpr Oid int2_array = 1005;
inline constexpr Oid int4_array = 1007;
inline constexpr Oid text_array = 1009;
inline constexpr Oid int8_array = 1016;
inline constexpr Oid float4_array = 1021;
inline constexpr Oid float8_array = 1022;
inline constexpr Oid jsonb_array = 3807;

// The element type of a built-in array type, or unknown (0) for anything else.
Oid array_element(Oid array_type) noexcept;

}  // namespace gale::pg::oid
