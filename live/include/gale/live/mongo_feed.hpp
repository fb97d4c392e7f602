// watch(collection): a live Feed on a MongoDB collection's change stream (see feed.hpp).
//
// Positions are the change events' resume tokens (compact JSON). Updates carry the whole document
// as it is after the change (full_document "updateLookup"). A drop or rename of the collection ends
// the change stream: the feed gives a gap and watches again from then on. Needs change streams
// (a replica set, a sharded cluster, or a server with an oplog): on a server without them watch()
// fails with the server's error.
#pragma once

#include "gale/live/feed.hpp"
#include "gale/mongo/collection.hpp"

namespace gale::live {

Future<Feed> watch(mongo::Collection collection, FeedOptions options);
Future<Feed> watch(mongo::Collection collection);

}  // namespace gale::live
