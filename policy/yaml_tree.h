/* yaml_tree.h - placeholder. */
#ifndef TLSPOLICY_YAML_TREE_H
#define TLSPOLICY_YAML_TREE_H
#endif
