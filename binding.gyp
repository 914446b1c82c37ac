{
  "targets": [
    {
      "target_name": "robotrain",
      "sources": [
        "native/addon.cpp",
        "native/core/device.cpp",
        "native/core/mlp_policy.cpp",
        "native/core/trainer.cpp"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native",
        "<!@(node scripts/find-libtorch.cjs include_dirs)"
      ],
      "libraries": ["<!@(node scripts/find-libtorch.cjs libraries)"],
      "ldflags": ["<!@(node scripts/find-libtorch.cjs ldflags)"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "<!@(node scripts/find-libtorch.cjs defines)"
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter"]
    }
  ]
}
