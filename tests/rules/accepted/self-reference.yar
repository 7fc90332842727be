// A rule may refer to itself: yara registers the name before the condition.
rule a { condition: a or true }
