# spank-plugin/: spank_husk.so (issue 6)
