// expect: 2:1: unexpected identifier "hello", expecting rule
hello
