// coach on the phone: the player page (library, screening, player) or the remote of a coach play.
import { pageKind } from "./common.js";
import { startPlayer } from "./player.js";
import { startRemote } from "./remote.js";

if (pageKind === "remote") startRemote();
else startPlayer();
