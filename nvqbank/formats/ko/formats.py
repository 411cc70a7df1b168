# Korean puts 오전/오후 before the time: "2026년 11월 25일 오후 2:30".
DATETIME_FORMAT = "Y년 n월 j일 A g:i"
