#include <stdio.h>
#include <greet.h>
#include "config.h"

int main(void)
{
	printf("%s, %s!\n", greeting(), MESSAGE);
	return 0;
}
