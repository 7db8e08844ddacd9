/* ferry-cli.h: the commands of ferry-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

int ferry_cli_bench   (int    argc,
                       char **argv);
int ferry_cli_chat    (int    argc,
                       char **argv);
int ferry_cli_connect (int    argc,
                       char **argv);
