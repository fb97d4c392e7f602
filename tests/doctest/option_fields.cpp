// Every public struct that users fill with designated initializers, initialized twice with one
// member (its first, then its last). g++ warns for each member left out that has no default member
// initializer (-Wmissing-field-initializers, in -Wextra), and -Werror makes that an error: a member
// added without an initializer (`{}` is enough) fails the build here. Compiled, never run.
#include <gale/live/live.hpp>
#include <gale/loop/executor.hpp>
#include <gale/mongo/mongo.hpp>
#include <gale/pg/pg.hpp>
#include <gale/web/web.hpp>

namespace gale::doctest_fields {

live::FeedOptions feed_first{.resume_after = {}};
live::FeedOptions feed_last{.max_retry_delay = {}};
live::ChangeLog change_log_first{.table = {}};
live::ChangeLog change_log_last{.notify = true};
live::RelayOptions relay_first{.history = 1};
live::RelayOptions relay_last{.history_bytes = 1};

mongo::FindOptions find_first{.sort = {}};
mongo::FindOptions find_last{.read_preference = {}};
mongo::InsertOptions insert_first{.ordered = true};
mongo::InsertOptions insert_last{.timeout = {}};
mongo::UpdateOptions update_first{.upsert = false};
mongo::UpdateOptions update_last{.timeout = {}};
mongo::DeleteOptions delete_first{.hint = {}};
mongo::DeleteOptions delete_last{.timeout = {}};
mongo::CountOptions count_first{.skip = 0};
mongo::CountOptions count_last{.timeout = {}};
mongo::AggregateOptions aggregate_first{.batch_size = 0};
mongo::AggregateOptions aggregate_last{.timeout = {}};
mongo::FindOneAndOptions find_one_and_first{.sort = {}};
mongo::FindOneAndOptions find_one_and_last{.timeout = {}};
mongo::IndexOptions index_first{.name = {}};
mongo::IndexOptions index_last{.extra = {}};
mongo::IndexModel index_model_first{.keys = {}};
mongo::IndexModel index_model_last{.options = {}};
mongo::BulkWriteOptions bulk_first{.ordered = true};
mongo::BulkWriteOptions bulk_last{.timeout = {}};
mongo::CommandOptions command_first{.read_preference = {}};
mongo::CommandOptions command_last{.timeout = {}};
mongo::InsertOne insert_one{.document = {}};
mongo::UpdateOne update_one_first{.filter = {}};
mongo::UpdateOne update_one_last{.array_filters = {}};
mongo::UpdateMany update_many_first{.filter = {}};
mongo::UpdateMany update_many_last{.array_filters = {}};
mongo::ReplaceOne replace_one_first{.filter = {}};
mongo::ReplaceOne replace_one_last{.upsert = false};
mongo::DeleteOne delete_one{.filter = {}};
mongo::DeleteMany delete_many{.filter = {}};
mongo::HostAddress host_first{.host = {}};
mongo::HostAddress host_last{.unix_socket = false};
mongo::ReadPreference read_preference_first{.mode = mongo::ReadMode::primary};
mongo::ReadPreference read_preference_last{.max_staleness_seconds = {}};
mongo::Credentials credentials_first{.username = {}};
mongo::Credentials credentials_last{.mechanism = {}};
mongo::WriteConcern write_concern_first{.w = {}};
mongo::WriteConcern write_concern_last{.wtimeout_ms = {}};
mongo::ClientSettings client_settings_first{.hosts = {}};
mongo::ClientSettings client_settings_last{.redacted_uri = {}};

pg::ClientOptions pg_options_first{.pool_min_size = 0};
pg::ClientOptions pg_options_last{.tls_verify = true};
pg::TransactionOptions transaction_first{.isolation = pg::Isolation::server_default};
pg::TransactionOptions transaction_last{.deferrable = false};

Executor::Options executor_first{.threads = 0};
Executor::Options executor_last{.max_queue = 1};

web::Settings settings_first{.debug = false};
web::Settings settings_last{.handle_signals = true};
web::Settings settings_tls{.tls = {}};
web::TLSSettings tls_first{.certfile = {}};
web::TLSSettings tls_last{.client_certificates = web::ClientCertificates::required};
web::TLSCertificate tls_certificate_first{.certfile = {}};
web::TLSCertificate tls_certificate_last{.keyfile = {}};
web::HTTPRequest request_first{.url = {}};
web::HTTPRequest request_last{.ca_certs = {}};
web::HTTPClient::Options client_first{.max_idle_per_host = 1};
web::HTTPClient::Options client_last{.idle_timeout = {}};
web::JsonLimits json_limits_first{.max_size = 1};
web::JsonLimits json_limits_last{.max_depth = 1};
web::ErrorInfo error_info_first{.status = 404};
web::ErrorInfo error_info_last{.exception = {}};

}  // namespace gale::doctest_fields
