/*
 * count.h - the number of elements of a static array, for every table of
 * the module and of its tests.
 */
#ifndef PFJ_CORE_COUNT_H
#define PFJ_CORE_COUNT_H

#define PFJ_COUNT(a) (sizeof(a) / sizeof((a)[0]))

#endif
