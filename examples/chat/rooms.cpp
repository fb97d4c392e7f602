#include "rooms.hpp"

namespace chat {

Room* Rooms::find(const std::string& name) {
  auto it = rooms_.find(name);
  if (it != rooms_.end()) return it->second.get();
  if (rooms_.size() >= kMaxRooms) return nullptr;
  return rooms_.emplace(name, std::make_unique<Room>()).first->second.get();
}

nlohmann::json Rooms::post(Room& room, const std::string& name, nlohmann::json message) {
  message["room"] = name;
  message["id"] = room.members.last_id() + 1;  // the id the broadcast gives it, for event streams
  room.history.push_back(message);
  if (room.history.size() > kHistory) room.history.pop_front();
  room.members.send(message);
  return message;
}

}  // namespace chat
