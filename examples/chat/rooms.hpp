// The chat's rooms: one Broadcast per room name, made on first use, and the last messages of each
// (a bounded history that a socket gets when it joins and an event stream after its Last-Event-ID).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "gale/web/broadcast.hpp"

namespace chat {

struct Room {
  gale::web::Broadcast members;
  std::deque<nlohmann::json> history;  // the last kHistory messages, each with its "id"
};

class Rooms {
 public:
  static constexpr std::size_t kHistory = 50;
  static constexpr std::size_t kMaxRooms = 1000;

  // The room, or null when there are kMaxRooms already and this is a new one.
  Room* find(const std::string& name);
  // Stamps the message with the room's next id, keeps it, and sends it to every member once.
  nlohmann::json post(Room& room, const std::string& name, nlohmann::json message);

 private:
  std::map<std::string, std::unique_ptr<Room>> rooms_;
};

}  // namespace chat
