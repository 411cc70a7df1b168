# British forms and workplaces use the 24-hour clock ("14:30", not "2:30 p.m.").
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
