// libedit's readline interface (Debian's libedit-dev): line editing, history, completion.
#include <stdio.h>
#include <editline/readline.h>
