/* mocksite: stand-in for the Next.js webpack runtime (a separate request). */
!function(){"use strict";self.__NEXT_LOADED_PAGES__=self.__NEXT_LOADED_PAGES__||[];self.__mock_runtime=1;}();
