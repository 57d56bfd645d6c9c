console.log('fuzz todo')
