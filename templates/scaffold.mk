# What the generated projects of make test-scaffold share: each flavour's
# project is made by a copy of this tree's sources (DIR/origin/cnif, as a
# fresh checkout would be: this tree's own build/ may belong to another OTP
# or to a build running at the same time) and must travel: it holds no
# absolute path, and once committed, a clone of it beside the same cnif
# checkout, both moved elsewhere (DIR/clone/), builds and passes its tests.
# The build must write nothing into the cnif checkout, and leave nothing
# its .gitignore does not cover.

# $(call scaffold_generate,DIR,FLAVOUR,NAME): the copy and the project.
define scaffold_generate
rm -rf $(1)
mkdir -p $(1)/origin/cnif $(1)/clone
tar -c --exclude='./build*' --exclude=$(patsubst $(CURDIR)/%,./%,$(abspath $(BUILD))) \
    --exclude=./priv --exclude=./.git --exclude=./_build --exclude=./deps . \
    | tar -x -C $(1)/origin/cnif
$(1)/origin/cnif/scripts/cnif-new $(2) $(3) $(1)/origin/$(3)
endef

# $(call scaffold_clone,DIR,NAME): no absolute path in the project (in a
# file or a link), then the commit, the move and the clone.
define scaffold_clone
! grep -rIl -e '$(1)' $(1)/origin/$(2) || { echo "scaffold: an absolute path in the project" >&2; exit 1; }
test -z "$$(find $(1)/origin/$(2) -type l -lname '/*')" || { echo "scaffold: a link by an absolute path" >&2; exit 1; }
cd $(1)/origin/$(2) && git -c init.defaultBranch=main init -q && git add -A && \
    git -c user.name=cnif -c user.email=cnif@localhost commit -q -m generated
mv $(1)/origin/cnif $(1)/clone/cnif
git clone -q $(1)/origin/$(2) $(1)/clone/$(2)
touch $(1)/clone/cnif.stamp
endef

# $(call scaffold_clean,DIR,NAME): after the build and the tests.
define scaffold_clean
test -z "$$(find $(1)/clone/cnif -newer $(1)/clone/cnif.stamp)" || \
    { echo "scaffold: the build wrote into the cnif checkout:" >&2; find $(1)/clone/cnif -newer $(1)/clone/cnif.stamp >&2; exit 1; }
test -z "$$(git -C $(1)/clone/$(2) status --porcelain)" || \
    { echo "scaffold: files the .gitignore leaves in:" >&2; git -C $(1)/clone/$(2) status --porcelain >&2; exit 1; }
endef
