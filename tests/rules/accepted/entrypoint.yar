rule a { condition: entrypoint >= 0 }
