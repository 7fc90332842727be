rule a { condition: true }
/* a block comment left open at the end of the file
