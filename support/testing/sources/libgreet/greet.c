#include "config.h"
#include "greet.h"

const char *greeting(void)
{
	return GREETING;
}
