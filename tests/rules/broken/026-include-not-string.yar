// expect: 2:9: expecting text string
include foo
