{
  "targets": [
    {
      "target_name": "robotrain",
      "sources": [
        "native/addon.cpp",
        "native/core/act/act_config.cpp",
        "native/core/act/act_config_json.cpp",
        "native/core/act/act_model.cpp",
        "native/core/act/act_policy.cpp",
        "native/core/act/attention.cpp",
        "native/core/act/frozen_batch_norm.cpp",
        "native/core/act/normalize.cpp",
        "native/core/act/resnet_backbone.cpp",
        "native/core/act/sinusoidal_embedding.cpp",
        "native/core/act/transformer.cpp",
        "native/core/batch_checks.cpp",
        "native/core/call_thread.cpp",
        "native/core/cuda_memory.cpp",
        "native/core/device.cpp",
        "native/core/host_staging.cpp",
        "native/core/json.cpp",
        "native/core/mlp_policy.cpp",
        "native/core/precision.cpp",
        "native/core/safetensors.cpp",
        "native/core/state_dict.cpp",
        "native/core/trainer.cpp",
        "native/core/training_state.cpp",
        "native/mapped_file.cpp"
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
      "cflags_cc": ["<!@(node scripts/find-libtorch.cjs cxx_std)", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter"]
    }
  ]
}
