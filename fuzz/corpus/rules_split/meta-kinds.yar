rule a : tag1 tag2 { meta: s = "x\"y" i = 10 n = -5 h = 0x10 b = true f = false s = "again" condition: true }
