// protoc-gen-ferry: a protoc plugin. protoc runs it as
//   protoc --plugin=protoc-gen-ferry=<path> --ferry_out=<dir> file.proto
#include "generator.h"
#include "google/protobuf/compiler/plugin.h"

int main(int argc, char* argv[]) {
  ferry::compiler::FerryGenerator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
