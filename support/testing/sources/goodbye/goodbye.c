#include <stdio.h>
#include "config.h"

int main(void)
{
	puts(WORDS);
	return 0;
}
