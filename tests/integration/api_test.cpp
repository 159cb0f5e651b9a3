// Integration: the daemon's local JSON API, through the real CLI and raw HTTP calls.
#include "harness.h"

#include "node/http.h"
#include "node/sha256.h"

#include <gtest/gtest.h>
#include <json/json.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace p2psip::test {
namespace {
namespace fs = std::filesystem;

class ApiTest : public ::testing::Test {
protected:
    static inline std::unique_ptr<TempDir> dir;
    static inline std::unique_ptr<Process> provider, puller;
    static inline unsigned api_port = 0;

    static void SetUpTestSuite()
    {
        dir = std::make_unique<TempDir>();
        fs::create_directories(dir->path() / "share");
        std::ofstream(dir->path() / "share" / "Api Handbook.txt") << "how to call the API\n";
        std::ofstream(dir->path() / "share" / "Slow Cancel.bin") << std::string(4 << 20, 'c');
        provider = std::make_unique<Process>(
            std::vector<std::string>{
                P2PSIPD_PATH, "--bind", "127.0.0.1", "--dht-port", "0", "--sip-port", "0",
                "--api-port", "0", "--peer-rate-limit", "-1", "--upload-rate-limit", "256", "--aor",
                "sip:provider@example.org", "--share", (dir->path() / "share").string(),
                "--data-dir", (dir->path() / "provider").string()},
            dir->path() / "provider.log");
        ASSERT_TRUE(eventually(10s, [] {
            return findNumberAfter(provider->log(), "overlay: UDP port ").has_value();
        }));
        const auto seed = findNumberAfter(provider->log(), "overlay: UDP port ");
        puller = std::make_unique<Process>(
            std::vector<std::string>{P2PSIPD_PATH, "--bind", "127.0.0.1", "--dht-port", "0",
                                     "--sip-port", "0", "--api-port", "0", "--peer-rate-limit",
                                     "-1", "--aor", "sip:puller@example.org", "--seed",
                                     "127.0.0.1:" + std::to_string(*seed), "--data-dir",
                                     (dir->path() / "puller").string()},
            dir->path() / "puller.log");
        ASSERT_TRUE(eventually(10s, [] {
            return findNumberAfter(puller->log(), "API: http://127.0.0.1:").has_value();
        })) << puller->log();
        api_port = *findNumberAfter(puller->log(), "API: http://127.0.0.1:");
    }

    static void TearDownTestSuite()
    {
        puller.reset();
        provider.reset();
        dir.reset();
    }

    static std::string token() { return readFile(dir->path() / "puller" / "api-token"); }

    static CommandResult cli(std::vector<std::string> args)
    {
        args.insert(args.begin(), P2PSIP_PATH);
        args.insert(args.end(), {"--api", "127.0.0.1:" + std::to_string(api_port), "--data-dir",
                                 (dir->path() / "puller").string()});
        return runCommand(args, 30s, dir->path());
    }

    static node::HttpResponse call(const std::string& method, const std::string& target,
                                   const std::string& body = {},
                                   std::optional<std::string> auth = std::nullopt)
    {
        std::string t = token();
        while (!t.empty() && t.back() == '\n')
            t.pop_back();
        return node::httpCall("127.0.0.1", static_cast<std::uint16_t>(api_port), method, target,
                              body, auth.value_or("Bearer " + t), 10s);
    }

    static Json::Value parse(const std::string& text)
    {
        Json::Value v;
        Json::CharReaderBuilder builder;
        std::string errors;
        std::istringstream in(text);
        EXPECT_TRUE(Json::parseFromStream(builder, in, &v, &errors)) << text;
        return v;
    }
};

TEST_F(ApiTest, TokenIsPrivateAndRequired)
{
    const auto perms = fs::status(dir->path() / "puller" / "api-token").permissions();
    EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
    EXPECT_EQ(call("GET", "/api/v1/status", {}, "").status, 401);
    EXPECT_EQ(call("GET", "/api/v1/status", {}, "Bearer wrong").status, 401);
    EXPECT_EQ(call("GET", "/api/v1/status").status, 200);
}

TEST_F(ApiTest, StatusThroughTheCli)
{
    const auto r = cli({"status", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto v = parse(r.out);
    EXPECT_EQ(v["aor"].asString(), "sip:puller@example.org");
    EXPECT_EQ(v["owner"].asString().size(), 40u);
    const auto text = cli({"status"});
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.out.find("sip:puller@example.org"), std::string::npos) << text.out;
}

TEST_F(ApiTest, BadRequestsGetClearErrors)
{
    EXPECT_EQ(call("POST", "/api/v1/transfers", "{not json").status, 400);
    EXPECT_EQ(call("POST", "/api/v1/transfers", R"({"sha256": "xyz", "output": "/tmp/"})").status,
              400);
    EXPECT_EQ(call("POST", "/api/v1/transfers", R"(["an", "array"])").status, 400);
    const auto relative = call("POST", "/api/v1/transfers",
                               R"({"sha256": ")" + std::string(64, 'a') + R"(", "output": "x"})");
    EXPECT_EQ(relative.status, 400);
    EXPECT_NE(relative.body.find("absolute"), std::string::npos) << relative.body;
    EXPECT_EQ(call("GET", "/api/v1/nothing").status, 404);
    EXPECT_EQ(call("DELETE", "/api/v1/status").status, 405);
    EXPECT_EQ(call("DELETE", "/api/v1/transfers/999").status, 404);
    EXPECT_EQ(call("GET", "/api/v1/search").status, 400);
    EXPECT_EQ(call("GET", "/api/v1/resolve?aor=tel:123").status, 400);
    EXPECT_TRUE(puller->running());
}

TEST_F(ApiTest, SearchAndGetThroughTheDaemon)
{
    const auto sha = *node::Sha256::ofFile(dir->path() / "share" / "Api Handbook.txt");
    CommandResult found;
    ASSERT_TRUE(eventually(20s,
                           [&] {
                               found = cli({"search", "handbook", "--json"});
                               return found.exit_code == 0 &&
                                      found.out.find(sha) != std::string::npos;
                           }))
        << found.out << found.err;
    const auto out = dir->path() / "downloads";
    fs::create_directories(out);
    const auto got = cli({"get", sha, "-o", out.string() + "/"});
    ASSERT_EQ(got.exit_code, 0) << got.out << got.err;
    EXPECT_EQ(readFile(out / "Api Handbook.txt"), "how to call the API\n");
    // The transfer stays listed with its outcome.
    bool listed = false;
    for (const auto& t : parse(call("GET", "/api/v1/transfers").body))
        listed |= t["sha256"].asString() == sha && t["state"].asString() == "done";
    EXPECT_TRUE(listed);
}

TEST_F(ApiTest, ARunningTransferCanBeCancelled)
{
    const auto sha = *node::Sha256::ofFile(dir->path() / "share" / "Slow Cancel.bin");
    const auto out = dir->path() / "cancelled";
    fs::create_directories(out);
    node::HttpResponse started;
    // Wait until the index lists the file, then start (a 404 from the lookup is not_found).
    ASSERT_TRUE(eventually(20s, [&] {
        return cli({"search", "cancel", "--json"}).out.find(sha) != std::string::npos;
    }));
    started = call("POST", "/api/v1/transfers",
                   R"({"sha256": ")" + sha + R"(", "output": ")" + out.string() + R"(/"})");
    ASSERT_EQ(started.status, 202) << started.body;
    const auto id = parse(started.body)["id"].asUInt64();
    const auto target = "/api/v1/transfers/" + std::to_string(id);
    ASSERT_TRUE(eventually(
        20s, [&] { return parse(call("GET", target).body)["received"].asUInt64() > 0; }));
    EXPECT_EQ(call("DELETE", target).status, 200);
    Json::Value t;
    ASSERT_TRUE(eventually(10s, [&] {
        t = parse(call("GET", target).body);
        return t["state"].asString() != "running";
    }));
    EXPECT_EQ(t["state"].asString(), "cancelled");
    EXPECT_FALSE(fs::exists(out / "Slow Cancel.bin")) << "an unverified file reached its name";
    EXPECT_TRUE(fs::exists(out / "Slow Cancel.bin.part")) << "the .part is kept for a resume";
    EXPECT_EQ(call("DELETE", target).status, 404) << "a finished transfer cannot be cancelled";
}

TEST_F(ApiTest, SharesListsTheProvidersFiles)
{
    // The provider's own API: its data dir holds its token.
    const auto r = runCommand(
        {P2PSIP_PATH, "shares", "--json", "--api",
         "127.0.0.1:" + std::to_string(*findNumberAfter(provider->log(), "API: http://127.0.0.1:")),
         "--data-dir", (dir->path() / "provider").string()},
        30s, dir->path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto v = parse(r.out);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_TRUE(v[0]["name"].asString() == "Api Handbook.txt" ||
                v[1]["name"].asString() == "Api Handbook.txt");
}

TEST_F(ApiTest, NoDaemonIsAClearError)
{
    const auto r = runCommand({P2PSIP_PATH, "status", "--api", "127.0.0.1:1", "--data-dir",
                               (dir->path() / "puller").string()},
                              30s, dir->path());
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("cannot reach the p2psipd API"), std::string::npos) << r.err;
}

} // namespace
} // namespace p2psip::test
