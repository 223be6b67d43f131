// The dashboard's files (web/), compiled into the server by the build
// (cmake/embed_web.cmake generates the definition of WebAssets()).
#pragma once

#include <span>
#include <string_view>

namespace gpusched::server {

// One file of the dashboard, served at `path` ("/" for index.html).
struct WebAsset {
  std::string_view path;
  std::string_view content_type;
  std::string_view body;
};

// Every file, in a static table (valid for the program's life; any thread).
std::span<const WebAsset> WebAssets();

}  // namespace gpusched::server
