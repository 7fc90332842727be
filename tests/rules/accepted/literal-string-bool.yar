rule a { condition: "abc" }
